{{/*
A Deployment for one process type. Usage:
  include "vidproc.deployment" (dict "root" $ "component" "worker" "values" .Values.worker)
Each component has its own replicas, resources, scheduling, annotations and autoscaling.
*/}}
{{- define "vidproc.deployment" -}}
{{- $root := .root }}
{{- $c := .values }}
{{- $component := .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "vidproc.fullname" $root }}-{{ $component }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vidproc.componentLabels" (dict "root" $root "component" $component) | nindent 4 }}
  annotations:
    {{- include "vidproc.checkovSkips" $root | nindent 4 }}
    {{- if ne $component "api" }}
    checkov.io/skip5: CKV_K8S_8=the {{ $component }} serves no HTTP; tini exits with node, so the kubelet restarts a dead process without a probe
    checkov.io/skip6: CKV_K8S_9=the {{ $component }} receives no traffic, so it has nothing to be ready for
    {{- end }}
spec:
  {{- if not (and (hasKey $c "autoscaling") $c.autoscaling.enabled) }}
  replicas: {{ $c.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "vidproc.componentSelectorLabels" (dict "root" $root "component" $component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "vidproc.componentLabels" (dict "root" $root "component" $component) | nindent 8 }}
        {{- with $c.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "vidproc.checksums" $root | nindent 8 }}
        {{- with $c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "vidproc.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $root.Values.serviceAccount.automountServiceAccountToken }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $c.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ $component }}
          image: {{ include "vidproc.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ $component | quote }}]
          {{- include "vidproc.envFrom" (dict "configName" (include "vidproc.fullname" $root) "secretName" (include "vidproc.secretName" $root)) | nindent 10 }}
          {{- $extraEnv := concat $root.Values.extraEnv $c.extraEnv }}
          {{- $memoryLimit := and (eq $component "worker") $c.resources.limits (index $c.resources.limits "memory") }}
          env:
            # Stops within the pod's grace period (SIGTERM, then SIGKILL): exits on its own before it.
            - name: SHUTDOWN_TIMEOUT
              value: {{ printf "%ds" (max 1 (sub (int $c.terminationGracePeriodSeconds) 5)) | quote }}
            {{- if eq $component "api" }}
            - name: PORT
              value: {{ $c.containerPort | quote }}
            - name: HOST
              value: "0.0.0.0"
            {{- end }}
            {{- if $memoryLimit }}
            # The worker sizes its workflow cache and workflow heap from its own limit (bytes).
            - name: WORKER_MEMORY_LIMIT
              valueFrom:
                resourceFieldRef:
                  containerName: {{ $component }}
                  resource: limits.memory
            {{- $ownNodeOptions := false }}
            {{- range $extraEnv }}{{ if eq .name "NODE_OPTIONS" }}{{ $ownNodeOptions = true }}{{ end }}{{ end }}
            {{- if and $c.heapPercentage (not $ownNodeOptions) }}
            # The main thread's V8 heap, as a share of the limit (the workflow thread's is set by the worker;
            # an extraEnv NODE_OPTIONS replaces this).
            - name: NODE_OPTIONS
              value: {{ printf "--max-old-space-size-percentage=%v" $c.heapPercentage | quote }}
            {{- end }}
            {{- end }}
            {{- with $extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            {{- if eq $component "api" }}
            - name: http
              containerPort: {{ $c.containerPort }}
              protocol: TCP
            {{- end }}
            # GET /metrics (Prometheus): not behind the Service or the Ingress; scraped by the PodMonitor.
            - name: metrics
              containerPort: {{ $root.Values.metrics.port }}
              protocol: TCP
          {{- if eq $component "api" }}
          startupProbe:
            {{- toYaml $c.startupProbe | nindent 12 }}
          livenessProbe:
            {{- toYaml $c.livenessProbe | nindent 12 }}
          readinessProbe:
            {{- toYaml $c.readinessProbe | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          volumeMounts:
            {{- include "vidproc.volumeMounts" $root | nindent 12 }}
      volumes:
        {{- include "vidproc.volumes" (dict "root" $root "caConfigMap" (printf "%s-db-ca" (include "vidproc.fullname" $root))) | nindent 8 }}
      {{- with $c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $c.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* A PodDisruptionBudget for one component. */}}
{{- define "vidproc.pdb" -}}
{{- $root := .root }}
{{- $pdb := .values.podDisruptionBudget }}
{{- if and .values.enabled $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "vidproc.fullname" $root }}-{{ .component }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vidproc.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ if kindIs "invalid" $pdb.maxUnavailable }}1{{ else }}{{ $pdb.maxUnavailable }}{{ end }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "vidproc.componentSelectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
{{- end }}
{{- end }}

{{/* A HorizontalPodAutoscaler (autoscaling/v2) for one component's Deployment. */}}
{{- define "vidproc.hpa" -}}
{{- $root := .root }}
{{- $a := .values.autoscaling }}
{{- if and .values.enabled $a.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "vidproc.fullname" $root }}-{{ .component }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "vidproc.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "vidproc.fullname" $root }}-{{ .component }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- with $a.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with $a.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
  {{- with $a.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

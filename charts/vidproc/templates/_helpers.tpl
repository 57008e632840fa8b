{{/* Chart name, truncated to the 63 characters Kubernetes allows in a name. */}}
{{- define "vidproc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name if it already contains the chart name.
Truncated to 52 characters so that "-migrate" and other suffixes still fit in 63.
*/}}
{{- define "vidproc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "vidproc.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "vidproc.labels" -}}
helm.sh/chart: {{ include "vidproc.chart" . }}
{{ include "vidproc.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vidproc
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels (immutable on Deployments: never add a changing value here). */}}
{{- define "vidproc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vidproc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component. Usage: include "vidproc.componentLabels" (dict "root" $ "component" "api") */}}
{{- define "vidproc.componentLabels" -}}
{{ include "vidproc.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vidproc.componentSelectorLabels" -}}
{{ include "vidproc.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vidproc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vidproc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "vidproc.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "vidproc.secretName" -}}
{{- default (include "vidproc.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* "true" when the chart makes the Secret from secrets.* (no existing Secret, no ExternalSecret). */}}
{{- define "vidproc.ownSecret" -}}
{{- if not (or .Values.secrets.existingSecret .Values.externalSecrets.enabled) }}true{{ end }}
{{- end }}

{{/* The store the ExternalSecrets read from: {name, kind}. */}}
{{- define "vidproc.secretStoreRef" -}}
{{- $s := .Values.externalSecrets.secretStore }}
{{- if $s.create }}
name: {{ include "vidproc.fullname" . }}
kind: SecretStore
{{- else }}
name: {{ required "externalSecrets.secretStore.name is required when secretStore.create is false" $s.name }}
kind: {{ $s.kind }}
{{- end }}
{{- end }}

{{/*
Annotations of the chart's pre-install/pre-upgrade hooks that run before the migration (weight 0).
Usage: include "vidproc.hookAnnotations" (dict "weight" -20 "delete" "before-hook-creation")
*/}}
{{- define "vidproc.hookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ .delete }}
{{- end }}

{{/* ConfigMap data: the non-secret environment. Empty values are left out (application default). */}}
{{- define "vidproc.configData" -}}
{{- $c := .Values.config }}
{{- if not $c.temporal.address }}
{{- fail "config.temporal.address is required (TEMPORAL_ADDRESS: the Temporal frontend, host:port)" }}
{{- end }}
{{- if and $c.storage.uploadBucket (not (or $c.storage.region $c.storage.endpoint)) }}
{{- fail "config.storage.uploadBucket (UPLOAD_BUCKET) needs config.storage.region (AWS_REGION) or config.storage.endpoint (S3_ENDPOINT)" }}
{{- end }}
{{- include "vidproc.checkAuth" . }}
{{- $env := dict
  "AMQP_EXCHANGE" $c.amqp.exchange
  "AMQP_QUEUE" $c.amqp.queue
  "AMQP_PREFETCH" (toString $c.amqp.prefetch)
  "AMQP_DELIVERY_LIMIT" (toString $c.amqp.deliveryLimit)
  "TEMPORAL_ADDRESS" $c.temporal.address
  "TEMPORAL_NAMESPACE" $c.temporal.namespace
  "TEMPORAL_TASK_QUEUE" $c.temporal.taskQueue
  "TEMPORAL_TLS" (ternary "true" "false" $c.temporal.tls)
  "TEMPORAL_QUERY_TIMEOUT_MS" (toString $c.temporal.queryTimeoutMs)
  "AUTH_JWKS_URL" $c.auth.jwksUrl
  "AUTH_ISSUER" $c.auth.issuer
  "AUTH_AUDIENCE" $c.auth.audience
  "AUTH_COGNITO_USER_POOL" $c.auth.cognitoUserPool
  "AUTH_COGNITO_CLIENT_IDS" $c.auth.cognitoClientIds
  "AUTH_COGNITO_TOKEN_USE" $c.auth.cognitoTokenUse
  "AUTH_ROLES_CLAIM" $c.auth.rolesClaim
  "AUTH_OPERATOR_ROLES" $c.auth.operatorRoles
  "STUCK_UPLOADED_AFTER" $c.stuck.uploadedAfter
  "STUCK_PROCESSING_AFTER" $c.stuck.processingAfter
  "ALERT_REPEAT_AFTER" $c.stuck.alertRepeatAfter
  "MAX_REPROCESS" (toString $c.stuck.maxReprocess)
  "ALERT_GROUP_WINDOW" $c.stuck.alertGroupWindow
  "ALERT_GROUP_THRESHOLD" (toString $c.stuck.alertGroupThreshold)
  "ALERT_GROUP_SAMPLE" (toString $c.stuck.alertGroupSample)
  "REPROCESS_RATE" (toString $c.stuck.reprocessRate)
  "TEMPORAL_WEB_UI_URL" $c.temporal.webUiUrl
  "LOG_LEVEL" $c.logLevel
  "METRICS_PORT" (toString .Values.metrics.port)
  "PGSSLMODE" $c.database.sslMode
  "NODE_EXTRA_CA_CERTS" (ternary "/etc/vidproc/db-ca/ca.pem" "" (ne $c.database.caBundle ""))
  "AWS_REGION" $c.storage.region
  "S3_ENDPOINT" $c.storage.endpoint
  "S3_FORCE_PATH_STYLE" (ternary "true" "false" $c.storage.forcePathStyle)
  "IMAGES_URL_TTL" $c.storage.imagesUrlTtl
  "UPLOAD_BUCKET" $c.storage.uploadBucket
}}
{{- range $k := keys $env | sortAlpha }}
{{- $v := get $env $k }}
{{- if $v }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The secret environment from secrets.* (the chart's own Secret), as YAML: variable name -> value,
empty ones included. The one place secrets.* are mapped to variable names.
*/}}
{{- define "vidproc.secretEnv" -}}
{{- $s := .Values.secrets }}
{{- dict
  "DATABASE_URL" $s.databaseUrl
  "AMQP_URL" $s.amqpUrl
  "AUTH_JWT_SECRET" $s.authJwtSecret
  "API_CURSOR_SECRET" $s.apiCursorSecret
  "TEMPORAL_API_KEY" $s.temporalApiKey
  "ALERT_WEBHOOK_URL" $s.alertWebhookUrl
| toYaml }}
{{- end }}

{{/* Secret stringData: the secret environment. Required values are checked here. */}}
{{- define "vidproc.secretData" -}}
{{- $s := .Values.secrets }}
{{- if contains "sslmode=" ($s.databaseUrl | default "") }}
{{- fail "secrets.databaseUrl: sslmode in the URL is ignored by vidproc's ORM; set config.database.sslMode (and caBundle) instead" }}
{{- end }}
{{- $_ := required "secrets.databaseUrl is required (DATABASE_URL), or set secrets.existingSecret" $s.databaseUrl }}
{{- $_ := required "secrets.amqpUrl is required (AMQP_URL), or set secrets.existingSecret" $s.amqpUrl }}
{{- $env := include "vidproc.secretEnv" . | fromYaml }}
{{- range $k := keys $env | sortAlpha }}
{{- $v := get $env $k }}
{{- if $v }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The secret variables this render knows the pods get, space-separated: the non-empty secrets.*
(the chart's own Secret) or the names in externalSecrets.env (ESO), and the names in extraEnv and
api.extraEnv. "unknown" with secrets.existingSecret alone: the chart cannot read that Secret.
*/}}
{{- define "vidproc.knownSecretVars" -}}
{{- $names := list }}
{{- if .Values.externalSecrets.enabled }}
{{- $names = keys .Values.externalSecrets.env }}
{{- else if not .Values.secrets.existingSecret }}
{{- range $k, $v := include "vidproc.secretEnv" . | fromYaml }}
{{- if $v }}{{ $names = append $names $k }}{{ end }}
{{- end }}
{{- end }}
{{- range concat .Values.extraEnv .Values.api.extraEnv }}
{{- $names = append $names .name }}
{{- end }}
{{- if and .Values.secrets.existingSecret (not .Values.externalSecrets.enabled) }}unknown {{ end }}
{{- $names | sortAlpha | join " " }}
{{- end }}

{{/*
The API's token rules (src/config/env.ts), checked at render time so a release that the API
would refuse at start fails here instead, with the values' names. With config.auth.cognitoUserPool
the pool is the only issuer: jwksUrl, issuer, audience and AUTH_JWT_SECRET are refused, the app
clients are required. More than one api pod needs one cursor key (API_CURSOR_SECRET, else
AUTH_JWT_SECRET): without it each pod makes its own and a page's nextCursor fails on another pod.
*/}}
{{- define "vidproc.checkAuth" -}}
{{- $a := .Values.config.auth }}
{{- $known := include "vidproc.knownSecretVars" . | splitList " " }}
{{- $opaque := has "unknown" $known }}
{{- $hasJwtSecret := has "AUTH_JWT_SECRET" $known }}
{{- if $a.cognitoUserPool }}
{{- if or $a.jwksUrl $a.issuer $a.audience $hasJwtSecret }}
{{- fail "config.auth.cognitoUserPool (AUTH_COGNITO_USER_POOL) is the only issuer: unset config.auth.jwksUrl, issuer, audience and the AUTH_JWT_SECRET secret (the API refuses them with a pool; its issuer and key set follow from the pool id)" }}
{{- end }}
{{- if not $a.cognitoClientIds }}
{{- fail "config.auth.cognitoClientIds (AUTH_COGNITO_CLIENT_IDS) is required with config.auth.cognitoUserPool: the app clients whose tokens the API accepts" }}
{{- end }}
{{- else if or $a.cognitoClientIds $a.cognitoTokenUse }}
{{- fail "config.auth.cognitoClientIds and cognitoTokenUse need config.auth.cognitoUserPool (AUTH_COGNITO_USER_POOL)" }}
{{- end }}
{{- if and .Values.api.enabled (not $opaque) }}
{{- if not (or $hasJwtSecret $a.jwksUrl $a.cognitoUserPool) }}
{{- fail "the api needs secrets.authJwtSecret (AUTH_JWT_SECRET), config.auth.jwksUrl (AUTH_JWKS_URL) or config.auth.cognitoUserPool (AUTH_COGNITO_USER_POOL)" }}
{{- end }}
{{- $maxReplicas := ternary .Values.api.autoscaling.maxReplicas .Values.api.replicaCount .Values.api.autoscaling.enabled | int }}
{{- if and (gt $maxReplicas 1) (not (or (has "API_CURSOR_SECRET" $known) $hasJwtSecret)) }}
{{- fail (printf "up to %d api pods need one paging-cursor key: set secrets.apiCursorSecret (API_CURSOR_SECRET; with externalSecrets: externalSecrets.env.API_CURSOR_SECRET), or secrets.authJwtSecret without a Cognito pool" $maxReplicas) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Pod annotations that roll the pods when the configuration changes. An existing Secret is not
read: roll the pods yourself (kubectl rollout restart) after changing it, or use a reloader.
*/}}
{{- define "vidproc.checksums" -}}
checksum/config: {{ printf "%s%s" (include "vidproc.configData" .) .Values.config.database.caBundle | sha256sum }}
{{- if include "vidproc.ownSecret" . }}
checksum/secret: {{ include "vidproc.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{/* checkov skips shared by every workload (annotations on the workload's metadata). */}}
{{- define "vidproc.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_35=vidproc reads its configuration from environment variables only (README Configuration); the Secret is mounted as env, never logged
checkov.io/skip2: CKV_K8S_40=the image runs as UID 1000 (the node user of the base image) by design; runAsNonRoot is enforced
checkov.io/skip3: CKV_K8S_43=release images are immutable ECR tags; image.digest pins by digest when set
checkov.io/skip4: CKV_K8S_15=IfNotPresent is right for immutable tags; Always only adds registry round-trips
{{- end }}

{{/* The container environment: ConfigMap and Secret, then extra variables. Usage: include "vidproc.envFrom" (dict "root" $ "configName" ... "secretName" ...) */}}
{{- define "vidproc.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ .configName }}
  - secretRef:
      name: {{ .secretName }}
{{- end }}

{{/*
Volumes of every pod: /tmp (read-only root filesystem) and, when set, the database CA bundle.
Usage: include "vidproc.volumes" (dict "root" $ "caConfigMap" <name>)
*/}}
{{- define "vidproc.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
{{- if .root.Values.config.database.caBundle }}
- name: db-ca
  configMap:
    name: {{ .caConfigMap }}
{{- end }}
{{- end }}

{{- define "vidproc.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.config.database.caBundle }}
- name: db-ca
  mountPath: /etc/vidproc/db-ca
  readOnly: true
{{- end }}
{{- end }}

{{/*
Whether a Prometheus Operator resource is rendered: its switch is true, or "auto" and the cluster
serves its kind. Usage: include "vidproc.monitoringEnabled" (dict "root" $ "enabled" .Values.metrics.podMonitor.enabled "kind" "PodMonitor")
*/}}
{{- define "vidproc.monitoringEnabled" -}}
{{- $enabled := toString .enabled }}
{{- if or (eq $enabled "true") (and (eq $enabled "auto") (.root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" .kind))) }}true{{ end }}
{{- end }}

{{/*
The AWS Load Balancer Controller's annotations for an internal NLB in front of the api
(service.awsLoadBalancer): IP targets (the pods), the name Terraform finds it by, its security
groups, the health check on /healthz and a short deregistration delay.
*/}}
{{- define "vidproc.awsLoadBalancerAnnotations" -}}
{{- $lb := .Values.service.awsLoadBalancer }}
service.beta.kubernetes.io/aws-load-balancer-type: external
service.beta.kubernetes.io/aws-load-balancer-scheme: internal
service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
service.beta.kubernetes.io/aws-load-balancer-name: {{ required "service.awsLoadBalancer.name is required (Terraform finds the load balancer by it)" $lb.name | quote }}
{{- with $lb.securityGroups }}
service.beta.kubernetes.io/aws-load-balancer-security-groups: {{ join "," . | quote }}
service.beta.kubernetes.io/aws-load-balancer-manage-backend-security-group-rules: "true"
{{- end }}
service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol: HTTP
service.beta.kubernetes.io/aws-load-balancer-healthcheck-port: traffic-port
service.beta.kubernetes.io/aws-load-balancer-healthcheck-path: /healthz
service.beta.kubernetes.io/aws-load-balancer-target-group-attributes: {{ printf "deregistration_delay.timeout_seconds=%d" (int $lb.deregistrationDelaySeconds) | quote }}
{{- end }}

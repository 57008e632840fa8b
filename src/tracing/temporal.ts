/**
 * Temporal's side of a trace (@temporalio/interceptors-opentelemetry): the client puts the
 * caller's trace context in the headers of its starts, signals, updates and queries; the
 * workflow continues it (its spans leave the sandbox through a sink) and hands it on to the
 * activities it schedules; an activity runs in it, so its Postgres queries join the trace.
 * Nothing here is used while tracing is off: no interceptor, no sink, and no tracing module in
 * the workflow bundle (every module of the bundle is instantiated per workflow).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClientOptions } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { activeTracing } from './setup.js';

/** The workflow-side interceptors (a module of the workflow bundle), next to this file (.ts when run from the sources). */
export const tracingWorkflowModule = fileURLToPath(new URL(`./workflow-interceptors.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

/** A prebuilt bundle's traced twin, written next to it by scripts/bundle-workflows.mjs. */
export const tracedBundlePath = (codePath: string) => `${codePath.replace(/\.js$/, '')}.traced.js`;

/** Client options that carry the trace context to workflows (none while tracing is off). */
export function tracedClientOptions(): Pick<ClientOptions, 'interceptors'> {
  const tracing = activeTracing();
  if (!tracing) return {};
  return { interceptors: { workflow: [new tracing.temporal.OpenTelemetryWorkflowClientInterceptor()] } };
}

type TracedWorkerOptions = Pick<WorkerOptions, 'interceptors' | 'sinks' | 'workflowBundle' | 'workflowsPath'>;

/** An activity-only worker's interceptors: each activity runs in the trace its workflow scheduled it in. */
export function tracedActivityOptions(): Pick<WorkerOptions, 'interceptors'> {
  const tracing = activeTracing();
  if (!tracing) return {};
  const { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } = tracing.temporal;
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
  };
}

/**
 * What the worker adds while tracing is on: the activity interceptors, the sink for workflow
 * spans, and the workflow interceptors: in the bundle it builds now, or from the prebuilt
 * bundle's traced twin (without one, it bundles now, and says so).
 */
export function tracedWorkerOptions(code: { workflowBundle?: WorkerOptions['workflowBundle']; workflowsPath: string }, warn: (message: string) => void): TracedWorkerOptions {
  const tracing = activeTracing();
  if (!tracing) return {};
  const options: TracedWorkerOptions = {
    ...tracedActivityOptions(),
    sinks: { exporter: tracing.temporal.makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
  if (code.workflowBundle) {
    const traced = 'codePath' in code.workflowBundle ? tracedBundlePath(code.workflowBundle.codePath) : undefined;
    if (traced !== undefined && existsSync(traced)) return { ...options, workflowBundle: { codePath: traced } };
    warn(`tracing is on but the prebuilt workflow bundle has no traced twin${traced ? ` (${traced})` : ''}: bundling the workflows with the tracing interceptors now`);
  }
  return {
    ...options,
    interceptors: { ...options.interceptors, workflowModules: [tracingWorkflowModule] },
    workflowBundle: undefined,
    workflowsPath: code.workflowsPath,
  };
}

/**
 * Tracing: OpenTelemetry, configured only by the standard OTEL_* variables, and entirely off
 * (no SDK loaded, no tracer provider, nothing patched) unless an OTLP endpoint is set.
 *
 * The SDK is the 1.x line (sdk-trace 1.30, exporters 0.57): the one Temporal's interceptors
 * (@temporalio/interceptors-opentelemetry 1.24.0) are built on. Their workflow spans come out of
 * the workflow sandbox in 1.x's shape (`parentSpanId`), which a 2.x exporter would drop.
 */
import { createRequire } from 'node:module';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Resource } from '@opentelemetry/resources';
import type * as TemporalTracing from '@temporalio/interceptors-opentelemetry';
import { ConfigError } from '../config/env.js';
import type { Logger } from '../logger.js';

export interface Tracing {
  /** Where spans go (for the start-up banner). */
  endpoint: string;
  /** The processor every span ends in; Temporal's workflow spans (exported through a sink) too. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Temporal's interceptors (@temporalio/interceptors-opentelemetry), loaded with the SDK. */
  temporal: typeof TemporalTracing;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

/** The process's tracing, if it is on. */
export const activeTracing = (): Tracing | undefined => current;

type Env = Record<string, string | undefined>;
const value = (env: Env, name: string) => (env[name]?.trim() ? env[name].trim() : undefined);

/** Where traces go when tracing is on (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL, the other a base). */
export function tracesEndpoint(env: Env = process.env): string | undefined {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporter = value(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter !== undefined && exporter !== 'otlp') throw new TracingConfigError(`OTEL_TRACES_EXPORTER: only otlp (or none) is supported, not ${exporter}`);
  const full = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (full) return full;
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

const LOADED_BEFORE = /^Module pg(-pool)? has been loaded before/;

/** A wrong OTEL_* variable: a configuration error like any other (the process does not start). */
export class TracingConfigError extends ConfigError {
  override name = 'TracingConfigError';
}

/** OTLP over HTTP, protobuf (the OTLP default) or JSON; gRPC is not bundled. */
function protocolOf(env: Env): 'http/protobuf' | 'http/json' {
  const protocol = (value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf').toLowerCase();
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  throw new TracingConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json, not ${protocol}`);
}

/**
 * Starts tracing for this process if the environment asks for it; once per process. `role`
 * names the process (`vidproc-<role>` is the service name unless OTEL_SERVICE_NAME says
 * otherwise). The SDK's modules are loaded only here, so a process without tracing never loads them.
 */
export async function startTracing(role: string, logger: Logger, env: Env = process.env): Promise<Tracing | undefined> {
  if (current) return current;
  const endpoint = tracesEndpoint(env);
  if (!endpoint) return undefined;
  const protocol = protocolOf(env);
  // The SDK's own complaints (an export that failed, a full queue dropping spans) into our log.
  const sdkLog = logger.child({ component: 'opentelemetry' });
  diag.setLogger(
    {
      error: (message, ...args) => sdkLog.error({ args }, message),
      // Not a warning here: the pg classes are patched after the import on purpose (patchPgLoadedByImport).
      warn: (message, ...args) => (LOADED_BEFORE.test(String(args[0])) ? undefined : sdkLog.warn({ args }, message)),
      info: (message, ...args) => sdkLog.info({ args }, message),
      debug: (message, ...args) => sdkLog.debug({ args }, message),
      verbose: (message, ...args) => sdkLog.trace({ args }, message),
    },
    DiagLogLevel.WARN,
  );
  const [{ Resource, envDetectorSync, hostDetectorSync, processDetectorSync }, { BatchSpanProcessor }, { NodeTracerProvider }, exporterModule, { registerInstrumentations }, { PgInstrumentation }, temporal] =
    await Promise.all([
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/sdk-trace-node'),
      protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
      import('@opentelemetry/instrumentation'),
      import('@opentelemetry/instrumentation-pg'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  // Ours first, then what the environment says (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES win).
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': `vidproc-${role}`, 'service.namespace': 'vidproc' }))
    .merge(processDetectorSync.detect())
    .merge(hostDetectorSync.detect())
    .merge(envDetectorSync.detect());
  // The host and process detectors fill some attributes asynchronously: settled before the first export.
  await resource.waitForAsyncAttributes?.();
  // The exporter reads the endpoint, headers, timeout and compression from OTEL_EXPORTER_OTLP_*;
  // the batch processor its sizes from OTEL_BSP_*; the provider the sampler from OTEL_TRACES_SAMPLER(_ARG).
  const spanProcessor = new BatchSpanProcessor(new exporterModule.OTLPTraceExporter({ url: endpoint }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The global provider, an AsyncLocalStorage context manager, the propagators of OTEL_PROPAGATORS (W3C by default).
  provider.register();
  // Queries traced only inside a span of ours (an activity, an API request): not the change
  // feed's LISTEN connection or pool housekeeping, which would each start a trace of their own.
  registerInstrumentations({ instrumentations: [new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false })] });
  patchPgLoadedByImport();
  current = {
    endpoint,
    spanProcessor,
    resource,
    temporal,
    async shutdown() {
      current = undefined;
      await provider.shutdown();
    },
  };
  logger.info({ endpoint, protocol, serviceName: resource.attributes['service.name'] }, 'tracing on: spans exported over OTLP');
  return current;
}

/**
 * The pg instrumentation patches `pg` when it is `require`d (require-in-the-middle). vidproc is
 * ESM: MikroORM (through kysely) and the change feed `import` pg, which that hook never sees, and
 * Node's ESM hook (`--import @opentelemetry/instrumentation/hook.mjs`) would have to be on every
 * command line. But an imported CommonJS module is the same object as a required one, and the
 * instrumentation patches prototypes (Client.prototype.query, Pool.prototype.connect): one
 * `require` after registering patches the classes every importer already holds.
 */
function patchPgLoadedByImport(): void {
  const require = createRequire(import.meta.url);
  require('pg');
  require('pg-pool');
}

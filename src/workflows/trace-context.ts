/**
 * An event's trace, handed from its signal to the writes it causes. The projection writer runs
 * on its own (not in the signal handler), so without this every write would land in the trace
 * of whatever started the workflow. Inert unless the tracing interceptors are in the bundle
 * (src/tracing/workflow-interceptors.ts installs the hooks): the context is then OpenTelemetry's,
 * opaque here. Only the headers of the activities change, never a command: replay-safe.
 */
export interface TraceHooks {
  capture(): unknown;
  run<T>(captured: unknown, fn: () => Promise<T>): Promise<T>;
}

let hooks: TraceHooks | undefined;

export function installTraceHooks(installed: TraceHooks): void {
  hooks = installed;
}

/** The trace the workflow is in now (a signal's, an update's), if tracing is on. */
export const currentTrace = (): unknown => hooks?.capture();

/** Runs `fn` (which schedules activities) in a captured trace, or as it is. */
export const inTrace = <T>(captured: unknown, fn: () => Promise<T>): Promise<T> =>
  captured === undefined || hooks === undefined ? fn() : hooks.run(captured, fn);

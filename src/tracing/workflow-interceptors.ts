/**
 * Part of the workflow bundle when tracing is on (and only then): Temporal's workflow
 * interceptors, which continue the trace of each signal, update and start, and the hooks that
 * let the video workflow write an event's changes in that event's trace (trace-context.ts).
 * Replay-safe: spans and headers are not commands, and the sink does not run during replay.
 */
import { context, type Context } from '@opentelemetry/api';
import { interceptors as temporalInterceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors.js';
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { installTraceHooks } from '../workflows/trace-context.js';

export const interceptors = (): WorkflowInterceptors => {
  const made = temporalInterceptors(); // registers the workflow's context manager first
  installTraceHooks({
    capture: () => context.active(),
    run: (captured, fn) => context.with(captured as Context, fn),
  });
  return made;
};

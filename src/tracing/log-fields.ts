/** The trace a log line was written in (pino mixin): `trace_id` and `span_id` while a span is active. */
import { trace } from '@opentelemetry/api';

export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

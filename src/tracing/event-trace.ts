/**
 * The bridge's side of a trace. A CloudEvent continues the trace its producer started, told by
 * the CloudEvents distributed-tracing extension (`traceparent`, `tracestate`): an attribute of
 * the structured event itself, or, in the AMQP binding, an application property
 * (`cloudEvents:traceparent`, or `cloudEvents_traceparent` where `:` is not allowed; a bare
 * `traceparent` header is taken too). One without starts a trace of its own.
 *
 * The bridge coalesces a video's waiting events into one signal: the span for that signal is a
 * child of the first event's context and links to every other event's, so each event's trace
 * reaches the signal, the workflow and the write either as its parent or through a link.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link } from '@opentelemetry/api';
import { activeTracing } from './setup.js';

/** An event's W3C trace context, as it came. */
export interface EventTraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

const HEADER_PREFIXES = ['cloudEvents:', 'cloudEvents_', ''];

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined);

/**
 * The trace context of a message, from its CloudEvent attributes, else its AMQP headers; none
 * while tracing is off (the body is then not read again).
 */
export function eventTraceCarrier(body: string, headers: Record<string, unknown> | undefined): EventTraceCarrier | undefined {
  if (!activeTracing()) return undefined;
  const fromEvent = attributesOf(body);
  if (fromEvent?.traceparent) return fromEvent;
  for (const prefix of HEADER_PREFIXES) {
    const traceparent = text(headers?.[`${prefix}traceparent`]);
    if (traceparent) {
      const tracestate = text(headers?.[`${prefix}tracestate`]);
      return tracestate ? { traceparent, tracestate } : { traceparent };
    }
  }
  return undefined;
}

function attributesOf(body: string): EventTraceCarrier | undefined {
  try {
    const event = JSON.parse(body) as Record<string, unknown>;
    const traceparent = text(event.traceparent);
    const tracestate = text(event.tracestate);
    return traceparent ? (tracestate ? { traceparent, tracestate } : { traceparent }) : undefined;
  } catch {
    return undefined; // not JSON: dead-lettered anyway
  }
}

const contextOf = (carrier: EventTraceCarrier | undefined): Context =>
  carrier?.traceparent ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;

export interface SignalSpanAttributes {
  queue: string;
  videoId: string;
  eventIds: string[];
  types: string[];
  redelivered: boolean;
}

/**
 * Runs the signalling of one video's events (`fn`) in a span of its own: a consumer span
 * continuing the first event's trace and linking the others'. Just `fn` while tracing is off.
 */
export async function inEventsSpan<T>(carriers: Array<EventTraceCarrier | undefined>, attributes: SignalSpanAttributes, fn: () => Promise<T>): Promise<T> {
  if (!activeTracing()) return fn();
  const parent = contextOf(carriers[0]);
  const links: Link[] = [];
  carriers.forEach((carrier, i) => {
    const linked = i > 0 && carrier?.traceparent ? trace.getSpanContext(contextOf(carrier)) : undefined;
    if (linked) links.push({ context: linked, attributes: { 'cloudevents.event_id': attributes.eventIds[i]! } });
  });
  const span = trace.getTracer('vidproc-bridge').startSpan(
    `${attributes.queue} process`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation': 'process',
        'messaging.destination.name': attributes.queue,
        'messaging.batch.message_count': attributes.eventIds.length,
        'cloudevents.event_id': attributes.eventIds[0]!,
        'cloudevents.event_type': attributes.types[0]!,
        'vidproc.video_id': attributes.videoId,
        'vidproc.event_ids': attributes.eventIds,
        'vidproc.redelivered': attributes.redelivered,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

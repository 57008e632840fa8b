/**
 * The bridge's metrics, counted where it does the work (src/bridge/consumer.ts): messages consumed
 * and how each was settled, dead letters by reason class, handling latency, messages in flight,
 * reconnects. The queue's depth and consumers are read from the broker (./queue-depth.ts).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, registry, secondsSince } from './registry.js';

/**
 * How a message left the bridge: acked (signalled, or dead-lettered with its reason), requeued (not
 * its fault: the bridge is stopping, or the broker blocks publishing), retried (Temporal refused it:
 * given back as a failed delivery), rejected (to the queue's dead-letter exchange, without a reason).
 */
export type MessageOutcome = 'acked' | 'requeued' | 'retried' | 'rejected';

/** Why a message was dead-lettered, as a bounded class (the full reason is on the dead letter). */
export type DeadLetterClass = 'not_json' | 'contract' | 'refused';

const consumed = new Counter({
  name: 'vidproc_bridge_messages_consumed_total',
  help: 'Messages the bridge received from its queue (redeliveries included).',
  registers: [registry],
});

const settled = new Counter({
  name: 'vidproc_bridge_messages_total',
  help: 'Messages the bridge settled with the broker, by outcome: acked (signalled to Temporal, or dead-lettered with a reason), requeued (given back through no fault of their own), retried (Temporal refused them: given back as failed deliveries), rejected (to the queue dead-letter exchange, without a reason).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const deadLettered = new Counter({
  name: 'vidproc_bridge_dead_letters_total',
  help: 'Messages the bridge dead-lettered, by reason class: not_json, contract (not a valid event of the contract), refused (Temporal refused them AMQP_DELIVERY_LIMIT times).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const handling = new Histogram({
  name: 'vidproc_bridge_message_handling_duration_seconds',
  help: 'From receiving a message to settling it (validation, waiting in its video mailbox, the signal to Temporal).',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

const inFlight = new Gauge({
  name: 'vidproc_bridge_messages_in_flight',
  help: 'Messages received and not yet settled (at most AMQP_PREFETCH per bridge).',
  registers: [registry],
});

const reconnects = new Counter({
  name: 'vidproc_bridge_reconnects_total',
  help: 'Times the bridge connected to RabbitMQ again after losing its connection or a channel.',
  registers: [registry],
});

const signalFailures = new Counter({
  name: 'vidproc_bridge_signal_failures_total',
  help: 'Signals (one per batch of a video\'s events) that failed: Temporal unreachable (tried again after a backoff, the messages held) or refusing them.',
  registers: [registry],
});

// Every series exists from the start (at 0), so rates and alerts see the first one.
for (const outcome of ['acked', 'requeued', 'retried', 'rejected'] as const) settled.inc({ outcome }, 0);
for (const reason of ['not_json', 'contract', 'refused'] as const) deadLettered.inc({ reason }, 0);

export const bridgeMetrics = {
  /** A message arrived; returns what to call once it was settled (or dropped with its channel). */
  received(): () => void {
    consumed.inc();
    inFlight.inc();
    const started = performance.now();
    return () => {
      inFlight.dec();
      handling.observe(secondsSince(started));
    };
  },
  settled: (outcome: MessageOutcome) => settled.inc({ outcome }),
  deadLettered: (reason: DeadLetterClass) => deadLettered.inc({ reason }),
  signalFailed: () => signalFailures.inc(),
  reconnected: () => reconnects.inc(),
};

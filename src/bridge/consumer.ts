/**
 * The bridge from RabbitMQ to Temporal: consumes video events and signals each valid one to its
 * video's workflow, acking only once Temporal has accepted it. While Temporal cannot be reached
 * the messages are held and tried again after a backoff (a requeue would spend the queue's
 * delivery limit); what Temporal refuses is requeued, and dead-lettered with Temporal's reason
 * once refused AMQP_DELIVERY_LIMIT times; what is not a valid event is dead-lettered with the
 * reason attached. A thin adapter: the contract and its validation belong to the domain.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { openReconnectingConnection } from '../amqp/connection.js';
import { PublishBlockedError } from '../amqp/confirmed-publish.js';
import { publishDeadLetter } from '../amqp/dead-letters.js';
import { publishGateOf } from '../amqp/publish-gate.js';
import { assertBridgeTopology, TopologyConflictError, topologyNames } from '../amqp/topology.js';
import type { Config } from '../config/env.js';
import { decodeVideoEvent, type VideoEvent } from '../domain/event-schemas.js';
import type { Logger } from '../logger.js';
import { bridgeMetrics, type DeadLetterClass, type MessageOutcome } from '../metrics/bridge.js';
import { EventsRefusedError, type VideoGateway } from '../temporal/video-gateway.js';
import { eventTraceCarrier, inEventsSpan, type EventTraceCarrier } from '../tracing/event-trace.js';
import { MAX_EVENTS_PER_SIGNAL } from '../workflows/definitions.js';

export type BridgeConfig = Pick<Config, 'AMQP_URL' | 'AMQP_EXCHANGE' | 'AMQP_QUEUE' | 'AMQP_PREFETCH' | 'AMQP_DELIVERY_LIMIT'>;

export interface BridgeOptions {
  config: BridgeConfig;
  gateway: Pick<VideoGateway, 'sendEvents'>;
  logger: Logger;
}

export interface Bridge {
  /**
   * Connects and starts consuming; resolves once consuming for the first time (or when stopped
   * first). Rejects with TopologyConflictError when the broker's queues need an operator (the
   * classic queues of an earlier release, a queue declared with another delivery limit).
   */
  start(): Promise<void>;
  /** Stops consuming, lets in-flight messages settle, then closes cleanly. Idempotent. */
  stop(): Promise<void>;
  /** Connected and consuming. */
  ready(): boolean;
}

/** The name the bridge's connection carries on the broker (client property `connection_name`). */
export const bridgeConnectionName = (config: Pick<Config, 'AMQP_QUEUE'>) =>
  `vidproc-bridge ${config.AMQP_QUEUE} ${hostname()}:${process.pid}`;

const TEMPORAL_RETRY = { initialMs: 200, maxMs: 30_000 };

/** The broker's count of a message's earlier returns (quorum queues set it; 0 on the first delivery). */
const deliveryCount = (msg: ConsumeMessage): number => {
  const count = Number((msg.properties.headers ?? {})['x-delivery-count'] ?? 0);
  return Number.isFinite(count) && count > 0 ? count : 0;
};

/** One connection's channels and consumer; a reconnect builds a new one. */
interface Session {
  model: ChannelModel;
  consumer: Channel;
  publisher: ConfirmChannel;
  consumerTag?: string;
  /** Its consumer channel is gone: the broker has its unacked messages back and redelivers them. */
  closed?: boolean;
}

/** How a message is settled with the broker. */
/**
 * How a message is settled with the broker: `requeue` gives it back through no fault of its own
 * (basic.nack), `retry` gives it back as a failed delivery (basic.reject: RabbitMQ 4.3 and later
 * count only those in `x-delivery-count`, earlier releases count both), `reject` dead-letters it.
 */
type Settlement = 'ack' | 'requeue' | 'retry' | 'reject';
const SETTLED = { ack: 'acked', requeue: 'requeued', retry: 'retried', reject: 'rejected' } as const satisfies Record<Settlement, MessageOutcome>;

/** A valid event waiting in its video's mailbox; `settled` once it was acked or requeued. */
interface Delivery {
  owner: Session;
  msg: ConsumeMessage;
  event: VideoEvent;
  /** The trace context it came with (tracing on). */
  trace: EventTraceCarrier | undefined;
  settled: () => void;
}

export function createBridge({ config, gateway, logger }: BridgeOptions): Bridge {
  const log = logger.child({ component: 'amqp-bridge', queue: config.AMQP_QUEUE });
  const names = topologyNames(config);
  const connectionName = bridgeConnectionName(config);
  const temporalBackoff = exponentialBackoff(TEMPORAL_RETRY);
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  // Every message waiting out a backoff listens for the stop; up to prefetch of them per connection.
  setMaxListeners(0, stopping.signal);

  let connection: RecoveringChannelModel | undefined;
  // A conflict found while setting up ends the start (no retry can fix it); later ones are logged on every retry.
  let failStart!: (err: Error) => void;
  const startFailed = new Promise<never>((_, reject) => (failStart = reject));
  startFailed.catch(() => undefined);
  let session: Session | undefined;
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let consumedBefore = false;

  /** Runs after every (re)connect: channels, topology, consumer. Throwing makes amqplib retry. */
  async function setup(model: ChannelModel): Promise<void> {
    const consumer = await model.createChannel();
    const publisher = await model.createConfirmChannel();
    const current: Session = { model, consumer, publisher };
    recycleOnClose(current, consumer, 'consumer');
    recycleOnClose(current, publisher, 'publisher');
    try {
      await assertBridgeTopology(model, consumer, config);
    } catch (err) {
      if (err instanceof TopologyConflictError) {
        log.error({ err }, err.message);
        failStart(err);
      }
      throw err;
    }
    await consumer.prefetch(config.AMQP_PREFETCH);
    if (stopping.signal.aborted) throw new Error('the bridge is stopping');
    const { consumerTag } = await consumer.consume(names.queue, (msg) => onDelivery(current, msg));
    current.consumerTag = consumerTag;
    session = current;
    if (consumedBefore) bridgeMetrics.reconnected();
    consumedBefore = true;
  }

  /** Logs the channel's errors, and recycles its session when it closes. */
  function recycleOnClose(owner: Session, channel: Channel, role: string): void {
    channel.on('error', (err: Error) => log.warn({ err, channel: role }, 'AMQP channel error'));
    channel.on('close', () => {
      if (channel === owner.consumer) owner.closed = true;
      // A dropped connection closes its channels just before it reports its own close, which
      // recovery handles; look again once that has run.
      setImmediate(() => recycle(owner, `${role} channel closed`));
    });
  }

  /**
   * amqplib's recovery follows the connection only: a channel closed by the broker, or a
   * consumer it cancelled, would leave the bridge connected but deaf. Closing the connection
   * hands the repair to recovery, which sets everything up again.
   */
  function recycle(owner: Session, why: string): void {
    owner.closed = true;
    if (session !== owner) return;
    session = undefined;
    if (stopping.signal.aborted) return;
    log.warn({ why }, 'reconnecting to RabbitMQ to resume consuming');
    void quietly(() => owner.model.close());
  }

  function onDelivery(owner: Session, msg: ConsumeMessage | null): void {
    if (msg === null) {
      recycle(owner, 'consumer cancelled by the broker');
      return;
    }
    const handled = bridgeMetrics.received();
    const work = handle(owner, msg).catch((err: unknown) => log.error({ err }, 'unexpected failure handling a message'));
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      handled();
    });
  }

  async function handle(owner: Session, msg: ConsumeMessage): Promise<void> {
    const body = msg.content.toString('utf8');
    const parsed = decodeVideoEvent(body);
    if (!parsed.ok) return deadLetter(owner, msg, parsed.reason, parsed.reason.startsWith('not JSON') ? 'not_json' : 'contract');
    if (msg.fields.routingKey !== parsed.event.type) {
      log.debug({ routingKey: msg.fields.routingKey, type: parsed.event.type, eventId: parsed.event.id }, 'routing key differs from the event type');
    }
    return post(owner, msg, parsed.event, eventTraceCarrier(body, msg.properties.headers));
  }

  /**
   * Messages for different videos are handled concurrently (up to prefetch); those for one video
   * one signal after another, in delivery order, so its history reads as the service published
   * it. A video's messages that arrive while a signal for it is under way (or together with the
   * first, in one read from the socket) wait in its mailbox and go together in the next signal:
   * in a burst, a video's events cost one workflow task instead of one each.
   */
  const mailboxes = new Map<string, Delivery[]>();
  function post(owner: Session, msg: ConsumeMessage, event: VideoEvent, trace: EventTraceCarrier | undefined): Promise<void> {
    return new Promise((settled) => {
      const delivery = { owner, msg, event, trace, settled };
      const mailbox = mailboxes.get(event.subject);
      if (mailbox) {
        mailbox.push(delivery);
        return;
      }
      mailboxes.set(event.subject, [delivery]);
      // A turn of the event loop first: amqplib hands over every message of one read before it.
      setImmediate(() => void empty(event.subject));
    });
  }

  async function empty(videoId: string): Promise<void> {
    const mailbox = mailboxes.get(videoId)!;
    try {
      while (mailbox.length > 0) {
        // What came on a closed channel is on its way again, behind what came before it: sending it now would overtake that.
        for (let i = mailbox.length - 1; i >= 0; i--) if (mailbox[i]!.owner.closed) mailbox.splice(i, 1)[0]!.settled();
        const batch = mailbox.splice(0, MAX_EVENTS_PER_SIGNAL);
        if (batch.length === 0) break;
        try {
          await deliver(batch);
        } finally {
          for (const delivery of batch) delivery.settled();
        }
      }
    } finally {
      mailboxes.delete(videoId);
      // Left behind by an unexpected failure: back to the queue, in order, rather than held.
      for (const { owner, msg, settled } of mailbox) {
        settle(owner, msg, 'requeue');
        settled();
      }
    }
  }

  /**
   * Signals one video's events together and acks them all once Temporal accepted them. While
   * Temporal cannot be reached they are held (unacked) and tried again after a backoff, which also
   * throttles intake; a requeue would count against the queue's delivery limit, and an outage is
   * not the message's fault. What Temporal refuses goes to refused().
   */
  async function deliver(batch: Delivery[]): Promise<void> {
    const events = batch.map((delivery) => delivery.event);
    const context = {
      videoId: events[0]!.subject,
      eventIds: events.map((event) => event.id),
      types: events.map((event) => event.type),
      redelivered: batch.some((delivery) => delivery.msg.fields.redelivered),
    };
    for (;;) {
      try {
        // Traced (tracing on): each attempt continues the first event's trace and links the others'.
        await inEventsSpan(batch.map((delivery) => delivery.trace), { queue: names.queue, ...context }, () => gateway.sendEvents(events));
        break;
      } catch (err) {
        bridgeMetrics.signalFailed();
        if (err instanceof EventsRefusedError) return refused(batch, err, context);
        const delayMs = temporalBackoff.next();
        log.warn({ ...context, err, delayMs }, 'Temporal did not accept the events; trying again after a backoff');
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        if (stopping.signal.aborted) {
          for (const { owner, msg } of batch) settle(owner, msg, 'requeue');
          return;
        }
        // The channel they came on is gone: the broker has them back and redelivers them.
        if (batch.some(({ owner }) => owner.closed)) return;
      }
    }
    temporalBackoff.reset();
    for (const { owner, msg } of batch) settle(owner, msg, 'ack');
    log.debug(context, 'events signalled to their workflow');
  }

  /**
   * Temporal refused the events. Each is given back as a failed delivery after a delay that grows
   * with its deliveries, unless this was its AMQP_DELIVERY_LIMIT-th refusal (the broker counts
   * failed deliveries in `x-delivery-count`): then it is dead-lettered with Temporal's reason, one
   * delivery before the queue's own limit would dead-letter it without one.
   */
  async function refused(batch: Delivery[], err: EventsRefusedError, context: object): Promise<void> {
    const limit = config.AMQP_DELIVERY_LIMIT;
    const spent = batch.filter(({ msg }) => deliveryCount(msg) + 1 >= limit);
    const again = batch.filter((delivery) => !spent.includes(delivery));
    for (const { owner, msg } of spent) {
      await deadLetter(owner, msg, `${err.message} (refused ${deliveryCount(msg) + 1} times; AMQP_DELIVERY_LIMIT is ${limit})`, 'refused');
    }
    if (again.length === 0) return;
    const delayMs = Math.min(TEMPORAL_RETRY.maxMs, TEMPORAL_RETRY.initialMs * 2 ** Math.min(16, Math.max(...again.map(({ msg }) => deliveryCount(msg)))));
    log.warn({ ...context, err, delayMs, deliveries: again.map(({ msg }) => deliveryCount(msg) + 1), limit }, 'Temporal refused the events; requeueing them after a delay');
    await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    for (const { owner, msg } of again) settle(owner, msg, 'retry');
  }

  /**
   * Publishes the message to the dead-letter exchange with the reason, then acks it. While the
   * broker blocks publishing (a resource alarm) it holds the message and publishes nothing: a
   * write now would only pile up, and would stall this connection's acks with it.
   */
  async function deadLetter(owner: Session, msg: ConsumeMessage, reason: string, reasonClass: DeadLetterClass): Promise<void> {
    const context = { routingKey: msg.fields.routingKey, reason };
    const gate = publishGateOf(owner.publisher);
    if (gate?.blockedBy !== undefined) {
      log.warn({ ...context, blockedBy: gate.blockedBy }, 'RabbitMQ is blocking publishers: holding the message until it unblocks, then dead-lettering it');
      try {
        await gate.open(stopping.signal);
      } catch {
        settle(owner, msg, 'requeue'); // stopping: the next bridge dead-letters it
        return;
      }
    }
    try {
      await publishDeadLetter(owner.publisher, names.deadLetterExchange, msg, reason);
    } catch (err) {
      if (err instanceof PublishBlockedError) {
        // Blocked again for the whole wait: nothing was published; it comes back and is tried again.
        log.warn({ ...context, err }, 'could not dead-letter the message while RabbitMQ blocks publishers; requeueing it');
        settle(owner, msg, 'requeue');
        return;
      }
      // The queue's own dead-letter exchange still takes it, only without the reason.
      log.error({ ...context, err }, 'could not dead-letter the message; rejecting it to the queue dead-letter exchange');
      settle(owner, msg, 'reject');
      return;
    }
    settle(owner, msg, 'ack');
    bridgeMetrics.deadLettered(reasonClass);
    log.warn(context, 'message dead-lettered');
  }

  function settle(owner: Session, msg: ConsumeMessage, settlement: Settlement): void {
    try {
      if (settlement === 'ack') owner.consumer.ack(msg);
      else if (settlement === 'requeue') owner.consumer.nack(msg, false, true);
      else owner.consumer.reject(msg, settlement === 'retry');
      bridgeMetrics.settled(SETTLED[settlement]);
    } catch (err) {
      // The channel went with its connection: the broker redelivers what was not settled.
      log.warn({ err, settlement, routingKey: msg.fields.routingKey }, 'could not settle the message; the broker will redeliver it');
    }
  }

  async function run(): Promise<void> {
    if (stopping.signal.aborted) throw new Error('the bridge was stopped');
    const conn = await openReconnectingConnection({ url: config.AMQP_URL, name: connectionName, logger: log, setup, stopping: stopping.signal });
    connection = conn;
    conn.on('disconnect', () => {
      if (session) session.closed = true;
      session = undefined;
    });
    if (stopping.signal.aborted) return conn.close();
    try {
      await Promise.race([conn.waitForConnect(), startFailed]);
    } catch (err) {
      if (err instanceof TopologyConflictError) {
        await (stopped ??= shutdown());
        throw err;
      }
      if (!stopping.signal.aborted) throw err; // else: stopped before the first connection
    }
  }

  async function shutdown(): Promise<void> {
    stopping.abort();
    const current = session;
    session = undefined;
    if (current?.consumerTag !== undefined) {
      const { consumer, consumerTag } = current;
      await quietly(() => consumer.cancel(consumerTag));
    }
    await Promise.all(inFlight);
    if (current) {
      await quietly(() => current.publisher.close());
      await quietly(() => current.consumer.close());
    }
    await connection?.close();
    log.info('bridge stopped');
  }

  return {
    start: () => (started ??= run()),
    stop: () => (stopped ??= shutdown()),
    ready: () => session !== undefined && !stopping.signal.aborted,
  };
}

/** Delays that double per consecutive failure, up to a ceiling, until a success resets them. */
function exponentialBackoff({ initialMs, maxMs }: { initialMs: number; maxMs: number }) {
  let failures = 0;
  return {
    next(): number {
      const delay = Math.min(maxMs, initialMs * 2 ** failures);
      if (delay < maxMs) failures++;
      return delay;
    },
    reset(): void {
      failures = 0;
    },
  };
}

/** Runs a best-effort cleanup step: the channel or connection may already be gone. */
async function quietly(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch {
    // already closed
  }
}

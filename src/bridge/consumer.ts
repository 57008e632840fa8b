/**
 * The bridge from RabbitMQ to Temporal: consumes video events and signals each valid one to its
 * video's workflow, acking only once Temporal has accepted it. What Temporal does not accept is
 * requeued after a backoff; what is not a valid event is dead-lettered with the reason attached.
 * A thin adapter: the contract and its validation belong to the domain.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Options,
  type RecoveringChannelModel,
  type RecoveryOptions,
} from 'amqplib';
import type { Config } from '../config/env.js';
import { decodeVideoEvent, type VideoEvent } from '../domain/events.js';
import type { Logger } from '../logger.js';
import type { VideoGateway } from '../temporal/videos.js';
import { assertTopology, topologyNames } from '../amqp/topology.js';

export type BridgeConfig = Pick<Config, 'AMQP_URL' | 'AMQP_EXCHANGE' | 'AMQP_QUEUE' | 'AMQP_PREFETCH'>;

export interface BridgeOptions {
  config: BridgeConfig;
  gateway: Pick<VideoGateway, 'sendEvent'>;
  logger: Logger;
}

export interface Bridge {
  /** Connects and starts consuming; resolves once consuming for the first time (or when stopped first). */
  start(): Promise<void>;
  /** Stops consuming, lets in-flight messages settle, then closes cleanly. Idempotent. */
  stop(): Promise<void>;
  /** Connected and consuming. */
  ready(): boolean;
}

/** Headers added to a message dead-lettered by the bridge. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-vidproc-dead-letter-reason',
  originalExchange: 'x-vidproc-original-exchange',
  originalRoutingKey: 'x-vidproc-original-routing-key',
  deadLetteredAt: 'x-vidproc-dead-lettered-at',
} as const;

/** The name the bridge's connection carries on the broker (client property `connection_name`). */
export const bridgeConnectionName = (config: Pick<Config, 'AMQP_QUEUE'>) =>
  `vidproc-bridge ${config.AMQP_QUEUE} ${hostname()}:${process.pid}`;

const RECONNECT: RecoveryOptions = { initialDelay: 200, maxDelay: 30_000, factor: 2, jitter: 0.2, maxRetries: Infinity };
const TEMPORAL_RETRY = { initialMs: 200, maxMs: 30_000 };

/** One connection's channels and consumer; a reconnect builds a new one. */
interface Session {
  model: ChannelModel;
  consumer: Channel;
  publisher: ConfirmChannel;
  consumerTag?: string;
}

type Outcome = 'ack' | 'requeue' | 'reject';

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
  let session: Session | undefined;
  let started: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  /** Runs after every (re)connect: channels, topology, consumer. Throwing makes amqplib retry. */
  async function setup(model: ChannelModel): Promise<void> {
    const consumer = await model.createChannel();
    const publisher = await model.createConfirmChannel();
    const current: Session = { model, consumer, publisher };
    watchChannel(current, consumer, 'consumer');
    watchChannel(current, publisher, 'publisher');
    await assertTopology(consumer, config);
    await consumer.prefetch(config.AMQP_PREFETCH);
    if (stopping.signal.aborted) throw new Error('the bridge is stopping');
    const { consumerTag } = await consumer.consume(names.queue, (msg) => onDelivery(current, msg));
    current.consumerTag = consumerTag;
    session = current;
  }

  function watchChannel(owner: Session, channel: Channel, role: string): void {
    channel.on('error', (err: Error) => log.warn({ err, channel: role }, 'AMQP channel error'));
    channel.on('close', () => {
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
    const work = handle(owner, msg).catch((err: unknown) => log.error({ err }, 'unexpected failure handling a message'));
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function handle(owner: Session, msg: ConsumeMessage): Promise<void> {
    const parsed = decodeVideoEvent(msg.content.toString('utf8'));
    if (!parsed.ok) return deadLetter(owner, msg, parsed.reason);
    if (msg.fields.routingKey !== parsed.event.type) {
      log.debug({ routingKey: msg.fields.routingKey, type: parsed.event.type, eventId: parsed.event.id }, 'routing key differs from the event type');
    }
    const event = parsed.event;
    return inOrder(event.subject, () => deliver(owner, msg, event));
  }

  /**
   * Messages for different videos are handled concurrently (up to prefetch); those for one video
   * one after another, in delivery order, so its history reads as the service published it.
   */
  const chains = new Map<string, Promise<void>>();
  function inOrder(videoId: string, task: () => Promise<void>): Promise<void> {
    const next = (chains.get(videoId) ?? Promise.resolve()).then(task);
    chains.set(videoId, next);
    void next.finally(() => {
      if (chains.get(videoId) === next) chains.delete(videoId);
    });
    return next;
  }

  async function deliver(owner: Session, msg: ConsumeMessage, event: VideoEvent): Promise<void> {
    const context = { eventId: event.id, videoId: event.subject, type: event.type, redelivered: msg.fields.redelivered };
    try {
      await gateway.sendEvent(event);
    } catch (err) {
      // Holding the message (unacked) through the backoff also throttles intake while Temporal is down.
      const delayMs = temporalBackoff.next();
      log.warn({ ...context, err, delayMs }, 'Temporal did not accept the event; requeueing it after a backoff');
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      settle(owner, msg, 'requeue');
      return;
    }
    temporalBackoff.reset();
    settle(owner, msg, 'ack');
    log.debug(context, 'event signalled to its workflow');
  }

  async function deadLetter(owner: Session, msg: ConsumeMessage, reason: string): Promise<void> {
    const context = { routingKey: msg.fields.routingKey, reason };
    try {
      await publishConfirmed(owner.publisher, names.deadLetterExchange, msg.fields.routingKey, msg.content, deadLetterOptions(msg, reason));
    } catch (err) {
      // The queue's own dead-letter exchange still takes it, only without the reason.
      log.error({ ...context, err }, 'could not dead-letter the invalid message; rejecting it to the queue dead-letter exchange');
      settle(owner, msg, 'reject');
      return;
    }
    settle(owner, msg, 'ack');
    log.warn(context, 'invalid message dead-lettered');
  }

  function settle(owner: Session, msg: ConsumeMessage, outcome: Outcome): void {
    try {
      if (outcome === 'ack') owner.consumer.ack(msg);
      else owner.consumer.nack(msg, false, outcome === 'requeue');
    } catch (err) {
      // The channel went with its connection: the broker redelivers what was not settled.
      log.warn({ err, outcome, routingKey: msg.fields.routingKey }, 'could not settle the message; the broker will redeliver it');
    }
  }

  function watchConnection(conn: RecoveringChannelModel): void {
    conn.on('connect', () => log.info({ connectionName }, 'connected to RabbitMQ and consuming'));
    conn.on('disconnect', (err: Error) => {
      session = undefined;
      log.warn({ err }, 'disconnected from RabbitMQ');
    });
    conn.on('connect-failed', (err: Error) => {
      if (!stopping.signal.aborted) log.warn({ err }, 'could not connect to RabbitMQ and set up consuming');
    });
    conn.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
      log.info({ attempt, delayMs: delay }, 'reconnecting to RabbitMQ after a delay'),
    );
    conn.on('reconnect-failed', (err: Error) => log.error({ err }, 'gave up reconnecting to RabbitMQ'));
    conn.on('error', (err: Error) => log.warn({ err }, 'RabbitMQ connection error'));
    conn.on('blocked', (reason: string) => log.warn({ reason }, 'RabbitMQ blocked the connection'));
    conn.on('unblocked', () => log.info('RabbitMQ unblocked the connection'));
    conn.on('handler-error', (err: Error, event: string) => log.error({ err, event }, 'AMQP event listener failed'));
  }

  async function run(): Promise<void> {
    if (stopping.signal.aborted) throw new Error('the bridge was stopped');
    const conn = await connect(config.AMQP_URL, {
      clientProperties: { connection_name: connectionName },
      recovery: { ...RECONNECT, waitForConnect: false, setup },
    });
    connection = conn;
    watchConnection(conn);
    if (stopping.signal.aborted) return conn.close();
    try {
      await conn.waitForConnect();
    } catch (err) {
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

/** The original message as a dead letter: same content and properties, plus why and where from. */
function deadLetterOptions({ fields, properties }: ConsumeMessage, reason: string): Options.Publish {
  const options: Options.Publish = {
    ...properties,
    headers: {
      ...properties.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.originalExchange]: fields.exchange,
      [DEAD_LETTER_HEADERS.originalRoutingKey]: fields.routingKey,
      [DEAD_LETTER_HEADERS.deadLetteredAt]: new Date().toISOString(),
    },
  };
  // RabbitMQ refuses (and closes the channel on) a user-id other than the publishing connection's.
  delete options.userId;
  // A TTL meant for the live queue must not expire the dead letter.
  delete options.expiration;
  return options;
}

/** How long to wait for the broker to confirm a dead letter (a blocked broker never does). */
const CONFIRM_TIMEOUT_MS = 30_000;

/** Publishes and waits for the broker's confirm; rejects on a nack, a closed channel or a timeout. */
function publishConfirmed(channel: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no confirm from the broker within ${CONFIRM_TIMEOUT_MS} ms`)), CONFIRM_TIMEOUT_MS);
    channel.publish(exchange, routingKey, content, options, (err: unknown) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new Error('the broker did not confirm the publish', { cause: err }));
      else resolve();
    });
  });
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

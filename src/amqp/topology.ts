/**
 * The AMQP topology the bridge consumes from, and the one place its names are made: a topic
 * exchange for video events, the tracker's queue bound to every video event, and a dead-letter
 * exchange and queue for what the tracker cannot use. Both queues are quorum queues (replicated
 * on a cluster such as Amazon MQ's cluster deployment); the tracker's queue has a delivery limit.
 * Declarations are idempotent, so the bridge re-asserts them on every (re)connect and publishers
 * (tests, the benchmark) can assert them before publishing.
 *
 * A queue's type cannot change in place, so the quorum queues have names of their own
 * (`<AMQP_QUEUE>.quorum`, `<AMQP_QUEUE>.quorum.dlq`) beside the classic ones earlier releases
 * declared (`<AMQP_QUEUE>`, `<AMQP_QUEUE>.dlq`): `vidproc queues migrate` moves an existing
 * deployment from those to these (src/amqp/queue-migration.ts).
 */
import type { Channel, ChannelModel, Options } from 'amqplib';
import type { Config } from '../config/env.js';
import { VIDEO_EVENT_BINDING } from '../domain/events.js';

export type TopologyConfig = Pick<Config, 'AMQP_EXCHANGE' | 'AMQP_QUEUE' | 'AMQP_DELIVERY_LIMIT'>;

export interface TopologyNames {
  exchange: string;
  /** The tracker's queue (quorum). */
  queue: string;
  deadLetterExchange: string;
  /** The dead-letter queue (quorum). */
  deadLetterQueue: string;
  /** The classic queues of earlier releases, which `vidproc queues migrate` drains into the two above. */
  classic: { queue: string; deadLetterQueue: string };
}

/** The command that moves a deployment from the classic queues to the quorum ones. */
export const MIGRATE_COMMAND = 'vidproc queues migrate';

export function topologyNames(config: Pick<Config, 'AMQP_EXCHANGE' | 'AMQP_QUEUE'>): TopologyNames {
  const queue = `${config.AMQP_QUEUE}.quorum`;
  return {
    exchange: config.AMQP_EXCHANGE,
    queue,
    deadLetterExchange: `${config.AMQP_EXCHANGE}.dlx`,
    deadLetterQueue: `${queue}.dlq`,
    classic: { queue: config.AMQP_QUEUE, deadLetterQueue: `${config.AMQP_QUEUE}.dlq` },
  };
}

/**
 * The tracker's queue. The broker counts each return of a message (a requeue, a consumer gone)
 * in its `x-delivery-count` header and dead-letters it once returned more than the limit: the
 * bridge dead-letters a message Temporal keeps refusing itself, with the reason, one delivery
 * before that (src/bridge/consumer.ts); the broker's limit catches what the bridge cannot (a
 * bridge that crashes on the message). At-least-once dead-lettering keeps a message in this
 * queue until the dead-letter queue has confirmed it (it needs overflow `reject-publish`, which
 * only matters with a length limit, and there is none).
 */
export function queueOptions(names: TopologyNames, deliveryLimit: number): Options.AssertQueue {
  return {
    durable: true,
    deadLetterExchange: names.deadLetterExchange,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  };
}

/**
 * The dead-letter queue: no delivery limit, since `vidproc dlq list` reads every message and lets
 * it go back (a return each time), and a dead letter must never be dropped for being read.
 */
export const DEAD_LETTER_QUEUE_OPTIONS: Options.AssertQueue = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

/** Declares (or confirms) the exchanges, queues and bindings; fails if one exists with other settings. */
export async function assertTopology(channel: Channel, config: TopologyConfig): Promise<TopologyNames> {
  const names = topologyNames(config);
  // Fanout: dead letters keep their original routing key, and the dead-letter queue takes them all.
  await channel.assertExchange(names.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(names.deadLetterQueue, DEAD_LETTER_QUEUE_OPTIONS);
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');

  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertQueue(names.queue, queueOptions(names, config.AMQP_DELIVERY_LIMIT));
  await channel.bindQueue(names.queue, names.exchange, VIDEO_EVENT_BINDING);
  return names;
}

/** Removes what assertTopology declared (tests and the benchmark clean up after themselves). */
export async function deleteTopology(channel: Channel, config: Pick<Config, 'AMQP_EXCHANGE' | 'AMQP_QUEUE'>): Promise<void> {
  const names = topologyNames(config);
  await channel.deleteQueue(names.queue);
  await channel.deleteQueue(names.deadLetterQueue);
  await channel.deleteExchange(names.exchange);
  await channel.deleteExchange(names.deadLetterExchange);
}

/** The broker's queues disagree with this release or this configuration: retrying cannot help, an operator must act. */
export class TopologyConflictError extends Error {
  override name = 'TopologyConflictError';
}

/**
 * The bridge's declaration: refuses to run beside the classic queues of an earlier release (they
 * would keep receiving events that nobody consumes) and explains a queue declared with other
 * arguments, naming what to do; otherwise as assertTopology.
 */
export async function assertBridgeTopology(model: ChannelModel, channel: Channel, config: TopologyConfig): Promise<TopologyNames> {
  const names = topologyNames(config);
  const classic = await existingQueues(model, [names.classic.queue, names.classic.deadLetterQueue]);
  if (classic.length > 0) {
    throw new TopologyConflictError(
      `the classic queue${classic.length > 1 ? 's' : ''} ${classic.join(' and ')} of an earlier release ${classic.length > 1 ? 'are' : 'is'} still there: ` +
        `stop every bridge, then run \`${MIGRATE_COMMAND}\` (see docs/operations.md), which moves their messages to the quorum queues ${names.queue} and ${names.deadLetterQueue}`,
    );
  }
  try {
    return await assertTopology(channel, config);
  } catch (err) {
    throw explainConflict(err, names, config);
  }
}

/** Which of these queues exist (a passive declare each, on a channel of its own: a missing queue closes it). */
export async function existingQueues(model: ChannelModel, queues: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const queue of queues) {
    const channel = await model.createChannel();
    channel.on('error', () => undefined); // a 404 closes the channel: that is the answer
    try {
      await channel.checkQueue(queue);
      found.push(queue);
      await channel.close();
    } catch {
      // not there
    }
  }
  return found;
}

/** A PRECONDITION_FAILED on declaring: which argument differs, and what to do about it. */
function explainConflict(err: unknown, names: TopologyNames, config: TopologyConfig): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (!/PRECONDITION.FAILED/.test(message)) return err;
  const limit = /inequivalent arg 'x-delivery-limit' for queue '([^']+)'.*current is (?:the value )?'(\d+)'/.exec(message);
  if (limit) {
    return new TopologyConflictError(
      `the queue ${limit[1]} was declared with delivery limit ${limit[2]}, and AMQP_DELIVERY_LIMIT is ${config.AMQP_DELIVERY_LIMIT}: ` +
        `set AMQP_DELIVERY_LIMIT=${limit[2]} (a queue's arguments cannot change; see docs/operations.md)`,
      { cause: err },
    );
  }
  return new TopologyConflictError(`the broker's topology for ${names.queue} differs from this release's: ${message}`, { cause: err });
}

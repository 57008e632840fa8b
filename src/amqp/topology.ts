/**
 * The AMQP topology the bridge consumes from, and the one place its names are made: a topic
 * exchange for video events, the tracker's queue bound to every video event, and a dead-letter
 * exchange and queue for what the tracker cannot use. Declarations are idempotent, so the bridge
 * re-asserts them on every (re)connect and publishers (tests, the benchmark) can assert them
 * before publishing.
 */
import type { Channel } from 'amqplib';
import type { Config } from '../config/env.js';
import { VIDEO_EVENT_BINDING } from '../domain/events.js';

export type TopologyConfig = Pick<Config, 'AMQP_EXCHANGE' | 'AMQP_QUEUE'>;

export interface TopologyNames {
  exchange: string;
  queue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

export function topologyNames(config: TopologyConfig): TopologyNames {
  return {
    exchange: config.AMQP_EXCHANGE,
    queue: config.AMQP_QUEUE,
    deadLetterExchange: `${config.AMQP_EXCHANGE}.dlx`,
    deadLetterQueue: `${config.AMQP_QUEUE}.dlq`,
  };
}

/** Declares (or confirms) the exchanges, queues and bindings; fails if one exists with other settings. */
export async function assertTopology(channel: Channel, config: TopologyConfig): Promise<TopologyNames> {
  const names = topologyNames(config);
  // Fanout: dead letters keep their original routing key, and the dead-letter queue takes them all.
  await channel.assertExchange(names.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(names.deadLetterQueue, { durable: true });
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');

  await channel.assertExchange(names.exchange, 'topic', { durable: true });
  await channel.assertQueue(names.queue, { durable: true, deadLetterExchange: names.deadLetterExchange });
  await channel.bindQueue(names.queue, names.exchange, VIDEO_EVENT_BINDING);
  return names;
}

/** Removes what assertTopology declared (tests and the benchmark clean up after themselves). */
export async function deleteTopology(channel: Channel, config: TopologyConfig): Promise<void> {
  const names = topologyNames(config);
  await channel.deleteQueue(names.queue);
  await channel.deleteQueue(names.deadLetterQueue);
  await channel.deleteExchange(names.exchange);
  await channel.deleteExchange(names.deadLetterExchange);
}

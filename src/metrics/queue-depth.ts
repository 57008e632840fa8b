/**
 * The bridge's queues as the broker sees them: messages ready and consumers, for its queue and its
 * dead-letter queue, read with `checkQueue` (a passive declare: cheap, and it creates nothing)
 * when Prometheus scrapes. On a connection and channel of their own: a check of a queue that does
 * not exist closes its channel, which must not be the consumer's.
 */
import type { Channel } from 'amqplib';
import { Gauge } from 'prom-client';
import { openReconnectingConnection } from '../amqp/connection.js';
import type { Logger } from '../logger.js';
import { registry } from './registry.js';

/** The queues to watch, by role: `events` (the bridge's queue) and `dead_letters`. */
export type WatchedQueues = Record<'events' | 'dead_letters', string>;

/** Each bridge in the process (one in production) adds its reader; a scrape runs them all. */
const readers = new Set<() => Promise<void>>();

const messages = new Gauge({
  name: 'vidproc_amqp_queue_messages',
  help: 'Messages ready in the queue (not yet delivered to a consumer), as RabbitMQ reports them; role is events or dead_letters.',
  labelNames: ['queue', 'role'] as const,
  registers: [registry],
  async collect() {
    await Promise.all([...readers].map((read) => read()));
  },
});

const consumers = new Gauge({
  name: 'vidproc_amqp_queue_consumers',
  help: 'Consumers on the queue, as RabbitMQ reports them (the bridges consuming it).',
  labelNames: ['queue', 'role'] as const,
  registers: [registry],
});

const CHECK_TIMEOUT_MS = 2_000;

export async function watchQueues(url: string, queues: WatchedQueues, logger: Logger): Promise<{ close(): Promise<void> }> {
  const connection = await openReconnectingConnection({
    url,
    name: `vidproc queue metrics ${queues.events}`,
    logger: logger.child({ component: 'queue-metrics' }),
    delays: { initialDelay: 500, maxDelay: 15_000 },
  });
  let channel: Promise<Channel> | undefined;
  connection.on('disconnect', () => (channel = undefined));
  const open = () =>
    (channel ??= connection.createChannel().then(
      (ch) => {
        ch.on('error', () => undefined); // a missing queue closes the channel; the next scrape opens another
        ch.on('close', () => (channel = undefined));
        return ch;
      },
      (err: unknown) => {
        channel = undefined;
        throw err;
      },
    ));

  async function read(): Promise<void> {
    for (const [role, queue] of Object.entries(queues)) {
      try {
        const check = open().then((ch) => ch.checkQueue(queue));
        const info = await Promise.race([check, timeout()]);
        messages.set({ queue, role }, info.messageCount);
        consumers.set({ queue, role }, info.consumerCount);
      } catch {
        // Not connected, or the queue is missing: no reading rather than a stale one.
        messages.remove({ queue, role });
        consumers.remove({ queue, role });
      }
    }
  }
  readers.add(read);
  return {
    async close() {
      readers.delete(read);
      for (const [role, queue] of Object.entries(queues)) {
        messages.remove({ queue, role });
        consumers.remove({ queue, role });
      }
      await connection.close();
    },
  };
}

function timeout(): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('checkQueue timed out')), CHECK_TIMEOUT_MS).unref());
}

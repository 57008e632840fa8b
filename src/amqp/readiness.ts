/**
 * RabbitMQ's answer for the API's readiness check, from one long-lived connection (reconnecting
 * on its own), so a probe does not open a new broker connection every few seconds. Not ready
 * while disconnected, and while the broker blocks publishers (a memory or disk alarm: events
 * from the processing service and vidproc's commands wait until it clears). The broker tells a
 * connection so only when it publishes, so each check that finds the broker open publishes one
 * empty message that no queue takes.
 */
import type { Channel } from 'amqplib';
import type { Logger } from '../logger.js';
import { openReconnectingConnection } from './connection.js';

export interface BrokerReadiness {
  /** Resolves while connected and not blocked; rejects with the last connection error, or the block, otherwise. */
  check: () => Promise<void>;
  close(): Promise<void>;
}

/** Where the probe publishes: the default exchange, a routing key no queue has, so the broker drops it. */
const PROBE_ROUTING_KEY = 'vidproc.readiness-probe';

export async function openBrokerReadiness(url: string, logger: Logger): Promise<BrokerReadiness> {
  let channel: Channel | undefined;
  let lastError = 'not connected yet';
  const connection = await openReconnectingConnection({
    url,
    name: 'vidproc readiness probe',
    logger: logger.child({ component: 'amqp-readiness' }),
    delays: { initialDelay: 500, maxDelay: 15_000 },
    async setup(model) {
      const ch = await model.createChannel();
      ch.on('error', (err: Error) => (lastError = err.message));
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
      });
      channel = ch;
    },
  });
  const failed = (err: Error) => (lastError = err.message);
  connection.on('disconnect', (err: Error) => {
    channel = undefined;
    failed(err);
  });
  connection.on('connect-failed', failed);
  connection.on('error', failed);
  return {
    check() {
      if (!channel) return Promise.reject(new Error(lastError));
      const blockedBy = connection.publishGate.blockedBy;
      if (blockedBy !== undefined) return Promise.reject(new Error(`RabbitMQ is blocking publishers (${blockedBy})`));
      try {
        channel.publish('', PROBE_ROUTING_KEY, Buffer.alloc(0));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return Promise.resolve();
    },
    close: () => connection.close(),
  };
}

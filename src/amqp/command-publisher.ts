/**
 * Publishes vidproc's commands (e.g. reprocess) to the events exchange, routing key = type,
 * with publisher confirms, over a connection that reconnects on its own. The worker's
 * activities use it.
 */
import type { ConfirmChannel } from 'amqplib';
import type { ReprocessCommand } from '../domain/events.js';
import type { Logger } from '../logger.js';
import { toCloudEventMessage } from './cloudevent-message.js';
import { publishConfirmed } from './confirmed-publish.js';
import { openReconnectingConnection } from './connection.js';

export interface CommandPublisher {
  /** Rejects while not connected, and when the broker does not confirm within 15 s. */
  publish(command: ReprocessCommand): Promise<void>;
  close(): Promise<void>;
}

const CONFIRM_TIMEOUT_MS = 15_000;

export async function createCommandPublisher(url: string, exchange: string, logger: Logger): Promise<CommandPublisher> {
  const log = logger.child({ component: 'amqp-commands', exchange });
  let channel: ConfirmChannel | undefined;
  const connection = await openReconnectingConnection({
    url,
    name: `vidproc-commands ${exchange}`,
    logger: log,
    async setup(model) {
      const ch = await model.createConfirmChannel();
      ch.on('error', (err: Error) => log.warn({ err }, 'command channel error'));
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
      });
      await ch.assertExchange(exchange, 'topic', { durable: true });
      channel = ch;
    },
  });
  connection.on('disconnect', () => (channel = undefined));

  return {
    publish(command) {
      if (!channel) return Promise.reject(new Error('not connected to RabbitMQ'));
      return publishConfirmed(channel, toCloudEventMessage(exchange, command), CONFIRM_TIMEOUT_MS);
    },
    close: () => connection.close(),
  };
}

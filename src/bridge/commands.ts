/**
 * Publishes vidproc's commands (e.g. reprocess) to the events exchange, routing key = type,
 * with publisher confirms, over a connection that reconnects on its own. Used by the worker's
 * activities.
 */
import { connect, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import type { ReprocessCommand } from '../domain/events.js';
import type { Logger } from '../logger.js';
import { CLOUDEVENTS_CONTENT_TYPE } from './publisher.js';

export interface CommandPublisher {
  publish(command: ReprocessCommand): Promise<void>;
  close(): Promise<void>;
}

const CONFIRM_TIMEOUT_MS = 15_000;

export async function createCommandPublisher(url: string, exchange: string, logger: Logger): Promise<CommandPublisher> {
  const log = logger.child({ component: 'amqp-commands', exchange });
  let channel: ConfirmChannel | undefined;
  const model: RecoveringChannelModel = await connect(url, {
    clientProperties: { connection_name: `vidproc-commands ${exchange}` },
    recovery: {
      waitForConnect: false,
      initialDelay: 200,
      maxDelay: 30_000,
      async setup(connection: ChannelModel) {
        const ch = await connection.createConfirmChannel();
        ch.on('error', (err: Error) => log.warn({ err }, 'command channel error'));
        ch.on('close', () => {
          if (channel === ch) channel = undefined;
        });
        await ch.assertExchange(exchange, 'topic', { durable: true });
        channel = ch;
      },
    },
  });
  model.on('disconnect', (err: Error) => {
    channel = undefined;
    log.warn({ err }, 'command connection lost; reconnecting');
  });

  return {
    publish(command) {
      const ch = channel;
      if (!ch) return Promise.reject(new Error('not connected to RabbitMQ'));
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no confirm from the broker')), CONFIRM_TIMEOUT_MS);
        ch.publish(exchange, command.type, Buffer.from(JSON.stringify(command)), {
          contentType: CLOUDEVENTS_CONTENT_TYPE,
          messageId: command.id,
          persistent: true,
        }, (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(err instanceof Error ? err : new Error('the broker refused the command'));
          else resolve();
        });
      });
    },
    close: () => model.close(),
  };
}

/** Real receivers for what vidproc sends out: an HTTP alert webhook and a queue for its commands. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type ChannelModel } from 'amqplib';
import type { Alert } from '../../src/domain/stall.js';
import type { ReprocessCommand } from '../../src/domain/events.js';

export interface WebhookReceiver {
  url: string;
  alerts: Alert[];
  /** Answer the next `n` requests with this status instead of 204. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const alerts: Alert[] = [];
  let failures = 0;
  let failStatus = 500;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.statusCode = failStatus;
        res.end();
        return;
      }
      alerts.push(JSON.parse(body) as Alert);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    alerts,
    failNext(n, status) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CommandReceiver {
  commands: ReprocessCommand[];
  close(): Promise<void>;
}

/** A queue of its own bound to the exchange for `routingKey`, collecting what arrives. */
export async function startCommandReceiver(url: string, exchange: string, routingKey: string): Promise<CommandReceiver> {
  const model: ChannelModel = await connect(url);
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, routingKey);
  const commands: ReprocessCommand[] = [];
  await channel.consume(queue, (msg) => {
    if (!msg) return;
    commands.push(JSON.parse(msg.content.toString()) as ReprocessCommand);
    channel.ack(msg);
  });
  return {
    commands,
    async close() {
      await model.close();
    },
  };
}

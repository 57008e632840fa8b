/** Real receivers for what vidproc sends out: an HTTP alert webhook and a queue for its commands. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type ChannelModel } from 'amqplib';
import { isGrouped, type AlertMessage, type GroupedAlert } from '../../src/domain/alert-digest.js';
import type { Alert } from '../../src/domain/stall.js';
import type { ReprocessCommand } from '../../src/domain/events.js';

export interface WebhookReceiver {
  url: string;
  /** The alerts that came one by one (a video's own). */
  alerts: Alert[];
  /** The grouped ones. */
  grouped: GroupedAlert[];
  /** Both, in the order they came, with when (real time). */
  received: Array<{ at: number; message: AlertMessage }>;
  /** Answer the next `n` requests with this status instead of 204. */
  failNext(n: number, status: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const alerts: Alert[] = [];
  const grouped: GroupedAlert[] = [];
  const received: Array<{ at: number; message: AlertMessage }> = [];
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
      const message = JSON.parse(body) as AlertMessage;
      received.push({ at: Date.now(), message });
      if (isGrouped(message)) grouped.push(message);
      else alerts.push(message);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/alerts`,
    alerts,
    grouped,
    received,
    failNext(n, status) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface CommandReceiver {
  commands: ReprocessCommand[];
  /** When each command arrived (real time), in order. */
  arrivals: number[];
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
  const arrivals: number[] = [];
  await channel.consume(queue, (msg) => {
    if (!msg) return;
    commands.push(JSON.parse(msg.content.toString()) as ReprocessCommand);
    arrivals.push(Date.now());
    channel.ack(msg);
  });
  return {
    commands,
    arrivals,
    async close() {
      await model.close();
    },
  };
}

/**
 * Publishes events the way a processing service that keeps its promises does while the broker
 * restarts: each message is sent with a publisher confirm and sent again (same event id) until the
 * broker confirms it, over a new connection when the old one is gone. A message sent again may be
 * one the broker had already taken: a duplicate, which vidproc must record once.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { toCloudEventMessage } from '../../src/amqp/cloudevent-message.js';
import { assertTopology, type TopologyConfig } from '../../src/amqp/topology.js';
import type { VideoEventInput } from '../../src/domain/event-schemas.js';

export interface SteadyPublisher {
  /** Resolves once the broker confirmed the event (however many sends it took). */
  publish(event: VideoEventInput): Promise<void>;
  /** Sends beyond each event's first (after a lost connection or an unconfirmed send). */
  resent(): number;
  close(): Promise<void>;
}

/** How long a send may wait for its confirm before it counts as lost and is sent again. */
const CONFIRM_TIMEOUT_MS = 15_000;
const RECONNECT_EVERY_MS = 500;

export function createSteadyPublisher(url: string, config: TopologyConfig): SteadyPublisher {
  let current: Promise<{ model: ChannelModel; channel: ConfirmChannel }> | undefined;
  let closed = false;
  let resent = 0;

  const open = async () => {
    const model = await connect(url);
    model.on('error', () => undefined); // a lost connection is seen as 'close'
    model.on('close', () => void (current = undefined));
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => void (current = undefined));
    await assertTopology(channel, config);
    return { model, channel };
  };
  const channel = async (): Promise<ConfirmChannel> => {
    for (;;) {
      if (closed) throw new Error('publisher closed');
      current ??= open();
      try {
        return (await current).channel;
      } catch {
        current = undefined;
        await sleep(RECONNECT_EVERY_MS);
      }
    }
  };

  return {
    async publish(event) {
      const { exchange, routingKey, content, options } = toCloudEventMessage(config.AMQP_EXCHANGE, event);
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) resent++;
        const ch = await channel();
        const confirmed = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), CONFIRM_TIMEOUT_MS);
          try {
            ch.publish(exchange, routingKey, content, options, (err) => {
              clearTimeout(timer);
              resolve(!err);
            });
          } catch {
            clearTimeout(timer);
            resolve(false);
          }
        });
        if (confirmed) return;
        await sleep(RECONNECT_EVERY_MS);
      }
    },
    resent: () => resent,
    async close() {
      closed = true;
      const c = await current?.catch(() => undefined);
      await c?.model.close().catch(() => undefined);
    },
  };
}

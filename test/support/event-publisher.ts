/**
 * Publishes CloudEvents (structured JSON) to the events exchange with publisher confirms: what the
 * processing service does. Used by the tests and the benchmark; the routing key is the event type.
 */
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { toCloudEventMessage } from '../../src/amqp/cloudevent-message.js';
import { assertTopology, deleteTopology, type TopologyConfig } from '../../src/amqp/topology.js';
import type { VideoEventInput } from '../../src/domain/event-schemas.js';

export interface EventPublisher {
  /** Publishes without waiting; call `confirm()` to wait until the broker has them all. */
  publish(event: VideoEventInput): void;
  confirm(): Promise<void>;
  close(): Promise<void>;
  /** Deletes the exchanges and queues (tests and the benchmark clean up after themselves). */
  deleteTopology(): Promise<void>;
}

export async function createEventPublisher(url: string, config: TopologyConfig): Promise<EventPublisher> {
  const model: ChannelModel = await connect(url);
  const channel: ConfirmChannel = await model.createConfirmChannel();
  await assertTopology(channel, config);
  return {
    publish(event) {
      const { exchange, routingKey, content, options } = toCloudEventMessage(config.AMQP_EXCHANGE, event);
      channel.publish(exchange, routingKey, content, options);
    },
    confirm: () => channel.waitForConfirms(),
    async close() {
      await channel.close();
      await model.close();
    },
    deleteTopology: () => deleteTopology(channel, config),
  };
}

/** A CloudEvent (an event or a command) as an AMQP message: structured JSON, routing key = its type. */
import type { AmqpMessage } from './confirmed-publish.js';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export function toCloudEventMessage(exchange: string, event: { id: string; type: string }): AmqpMessage {
  return {
    exchange,
    routingKey: event.type,
    content: Buffer.from(JSON.stringify(event)),
    options: { contentType: CLOUDEVENTS_CONTENT_TYPE, messageId: event.id, persistent: true },
  };
}

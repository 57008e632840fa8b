/** Publishing one message and waiting until the broker has it: the one confirmed publish. */
import type { ConfirmChannel, Options } from 'amqplib';

export interface AmqpMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** How long to wait for the broker's confirm by default (a blocked broker never sends it). */
const CONFIRM_TIMEOUT_MS = 30_000;

/** Publishes and waits for the broker's confirm; rejects on a nack, a closed channel or a timeout. */
export function publishConfirmed(channel: ConfirmChannel, { exchange, routingKey, content, options }: AmqpMessage, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no confirm from the broker within ${timeoutMs} ms`)), timeoutMs);
    try {
      channel.publish(exchange, routingKey, content, options, (err: unknown) => {
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : new Error('the broker did not confirm the publish', { cause: err }));
        else resolve();
      });
    } catch (err) {
      clearTimeout(timer); // the channel is closed: nothing was sent
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

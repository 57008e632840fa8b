/** Publishing one message and waiting until the broker has it: the one confirmed publish. */
import type { ConfirmChannel, Options } from 'amqplib';
import { publishGateOf } from './publish-gate.js';

export interface AmqpMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
}

/** How long to wait for the broker by default: for the gate to open, then for the confirm. */
const CONFIRM_TIMEOUT_MS = 30_000;

/** The broker blocked publishing (a memory or disk alarm) for the whole wait: nothing was sent, so trying again later cannot duplicate. */
export class PublishBlockedError extends Error {
  override name = 'PublishBlockedError';
}

/**
 * Publishes and waits for the broker's confirm; rejects on a nack, a closed channel or a
 * timeout. While the broker blocks the connection it writes nothing and waits for it to unblock
 * (within `timeoutMs`, else PublishBlockedError); once written, a block stops the clock: the
 * confirm comes after the alarm, and giving up meanwhile would invite a second copy.
 */
export async function publishConfirmed(channel: ConfirmChannel, message: AmqpMessage, timeoutMs = CONFIRM_TIMEOUT_MS): Promise<void> {
  const gate = publishGateOf(channel);
  if (gate?.blockedBy !== undefined) {
    const reason = gate.blockedBy;
    try {
      await gate.open(AbortSignal.timeout(timeoutMs));
    } catch {
      throw new PublishBlockedError(`RabbitMQ is blocking publishers (${reason}); nothing was published within ${timeoutMs} ms`);
    }
  }
  const { exchange, routingKey, content, options } = message;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const expire = () => {
      if (done) return;
      if (gate?.blockedBy !== undefined) {
        // Blocked after the write: the confirm waits for the alarm to clear, and so do we.
        void gate.open().then(() => (timer = setTimeout(expire, timeoutMs)));
        return;
      }
      done = true;
      reject(new Error(`no confirm from the broker within ${timeoutMs} ms`));
    };
    timer = setTimeout(expire, timeoutMs);
    try {
      channel.publish(exchange, routingKey, content, options, (err: unknown) => {
        done = true;
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : new Error('the broker did not confirm the publish', { cause: err }));
        else resolve();
      });
    } catch (err) {
      done = true;
      clearTimeout(timer); // the channel is closed: nothing was sent
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

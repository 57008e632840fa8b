/**
 * Whether RabbitMQ lets a connection publish. On a memory or disk alarm the broker blocks every
 * connection that publishes (`connection.blocked`): it stops reading from its socket, so whatever
 * is written after that piles up in the client and is confirmed, if ever, only once the alarm
 * clears (`connection.unblocked`). A publish that timed out there and was tried again would be
 * sent twice. So vidproc's publishers look at the gate first and wait while it is shut, writing
 * nothing, and a publish already written waits for its confirm as long as the block lasts
 * (src/amqp/confirmed-publish.ts).
 *
 * RabbitMQ tells a connection it is blocked when that connection publishes during the alarm (the
 * first such publish is held by the broker, not lost), and unblocked when the alarm clears.
 * openReconnectingConnection gives each connection its gate; a channel finds its connection's.
 */
import type { Channel, Connection } from 'amqplib';

export interface PublishGate {
  /** Why the broker blocks publishing (`low on memory`, `low on disk space`), while it does. */
  readonly blockedBy: string | undefined;
  /** Resolves at once when open, else when unblocked; rejects when `signal` aborts first. */
  open(signal?: AbortSignal): Promise<void>;
}

export interface GateControl extends PublishGate {
  block(reason: string): void;
  unblock(): void;
}

export function createPublishGate(): GateControl {
  let blockedBy: string | undefined;
  let waiters: Array<() => void> = [];
  return {
    get blockedBy() {
      return blockedBy;
    },
    block(reason) {
      blockedBy = reason || 'blocked';
    },
    unblock() {
      blockedBy = undefined;
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    },
    open(signal) {
      if (blockedBy === undefined) return Promise.resolve();
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        const onAbort = () => {
          waiters = waiters.filter((w) => w !== wake);
          reject(signal!.reason as Error);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** Each live connection's gate (by amqplib's underlying connection, which every channel names). */
const gates = new WeakMap<Connection, PublishGate>();

export function registerPublishGate(connection: Connection, gate: PublishGate): void {
  gates.set(connection, gate);
}

/** The gate of the connection the channel is on; channels on connections not opened by vidproc have none. */
export function publishGateOf(channel: Channel): PublishGate | undefined {
  return gates.get(channel.connection);
}

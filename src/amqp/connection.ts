/**
 * The one way vidproc's long-lived parts hold a RabbitMQ connection: amqplib's recovering
 * connection, which reconnects with a growing delay and runs `setup` (channels, topology,
 * consumers) after every (re)connect, and logs what happens to it. Each carries its publish gate,
 * which follows the broker's blocking of the connection (src/amqp/publish-gate.ts).
 */
import { connect, type ChannelModel, type RecoveringChannelModel, type RecoveryOptions } from 'amqplib';
import type { Logger } from '../logger.js';
import { createPublishGate, registerPublishGate, type PublishGate } from './publish-gate.js';

export interface ReconnectingConnectionOptions {
  url: string;
  /** The name the connection carries on the broker (client property `connection_name`). */
  name: string;
  logger: Logger;
  /** Runs after every (re)connect; throwing makes the connection retry. */
  setup?: (model: ChannelModel) => Promise<void>;
  /** Reconnect delays, when not the default 200 ms doubling (with jitter) to 30 s. */
  delays?: Pick<RecoveryOptions, 'initialDelay' | 'maxDelay'>;
  /** Once aborted (its owner is stopping), a failed set-up is expected and not logged. */
  stopping?: AbortSignal;
}

const RECONNECT = { initialDelay: 200, maxDelay: 30_000, factor: 2, jitter: 0.2, maxRetries: Infinity } satisfies RecoveryOptions;

export type ReconnectingConnection = RecoveringChannelModel & {
  /** Shut while the broker blocks this connection's publishing (a memory or disk alarm). */
  readonly publishGate: PublishGate;
};

/**
 * Opens the connection without waiting for the broker (`waitForConnect()` waits); it keeps
 * reconnecting until closed. Add listeners for `connect` and `disconnect` to follow its state.
 */
export async function openReconnectingConnection({ url, name, logger, setup, delays, stopping }: ReconnectingConnectionOptions): Promise<ReconnectingConnection> {
  const gate = createPublishGate();
  const connection = await connect(url, {
    clientProperties: { connection_name: name },
    recovery: {
      ...RECONNECT,
      ...delays,
      waitForConnect: false,
      // Before `setup`, so the channels it opens find their gate.
      setup: async (model: ChannelModel) => {
        registerPublishGate(model.connection, gate);
        await setup?.(model);
      },
    },
  });
  logConnectionEvents(connection, name, logger, stopping);
  connection.on('blocked', (reason: string) => gate.block(reason));
  connection.on('unblocked', () => gate.unblock());
  // A new connection starts unblocked; what waited then fails on its closed channel, or publishes on the new one.
  connection.on('disconnect', () => gate.unblock());
  const publishGate: PublishGate = gate;
  return Object.assign(connection, { publishGate });
}

/** amqplib emits before its first attempt only once the caller had the chance to listen: no event is missed. */
function logConnectionEvents(connection: RecoveringChannelModel, name: string, log: Logger, stopping: AbortSignal | undefined): void {
  connection.on('connect', () => log.info({ connectionName: name }, 'connected to RabbitMQ'));
  connection.on('disconnect', (err: Error) => log.warn({ err }, 'disconnected from RabbitMQ'));
  connection.on('connect-failed', (err: Error) => {
    if (!stopping?.aborted) log.warn({ err }, 'could not connect to RabbitMQ and set up');
  });
  connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
    log.info({ attempt, delayMs: delay }, 'reconnecting to RabbitMQ after a delay'),
  );
  connection.on('reconnect-failed', (err: Error) => log.error({ err }, 'gave up reconnecting to RabbitMQ'));
  connection.on('error', (err: Error) => log.warn({ err }, 'RabbitMQ connection error'));
  connection.on('blocked', (reason: string) =>
    log.warn({ reason }, 'RabbitMQ blocks publishing on this connection (a resource alarm): publishes wait until it unblocks'),
  );
  connection.on('unblocked', () => log.info('RabbitMQ unblocked the connection: publishing resumes'));
  connection.on('handler-error', (err: Error, event: string) => log.error({ err, event }, 'AMQP event listener failed'));
}

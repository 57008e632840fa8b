/** Runs a process's parts under one supervisor: ordered start, graceful stop on a signal or a failure. */
import type { Logger } from '../logger.js';
import type { Fatal, Running } from '../processes/running.js';

export type Part = (fatal: Fatal) => Promise<Running>;

export interface SupervisorOptions {
  /** Shown once every part has started. */
  banner?: (running: Running[]) => void;
  /**
   * How long stopping may take (SHUTDOWN_TIMEOUT): past it the process exits non-zero, naming the
   * part still stopping, instead of hanging until the orchestrator kills it. What a part held is
   * not lost: Temporal hands an unfinished task or activity to another worker, RabbitMQ redelivers
   * an unacked message.
   */
  shutdownTimeoutMs?: number;
}

/**
 * Starts the parts in order, runs until SIGTERM/SIGINT (or a part fails), then stops what
 * started in reverse order, within the shutdown timeout. A signal during start-up stops at once;
 * a second signal exits.
 */
export async function runUntilSignal(logger: Logger, parts: Part[], { banner, shutdownTimeoutMs }: SupervisorOptions = {}) {
  const running: Running[] = [];
  let requested: { reason: string; failed: boolean } | undefined;
  let wake: (r: { reason: string; failed: boolean }) => void = () => {};
  const stopRequested = new Promise<{ reason: string; failed: boolean }>((resolve) => (wake = resolve));
  const request = (reason: string, failed: boolean) => {
    if (requested) return;
    requested = { reason, failed };
    wake(requested);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (requested) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      request(signal, false);
    });
  }
  const fatal: Fatal = (reason) => request(reason, true);

  try {
    for (const start of parts) {
      // A start that waits on a dependency (a broker that is down) must not hold up a stop.
      const part = await Promise.race([start(fatal), stopRequested.then(() => undefined)]);
      if (!part) break;
      running.push(part);
    }
  } catch (err) {
    request('start-up failed', true);
    logger.error({ err }, 'start-up failed');
  }
  if (!requested) banner?.(running);
  const { reason, failed } = await stopRequested;
  logger.info({ reason }, 'shutting down');
  let stopping = '';
  if (shutdownTimeoutMs !== undefined) {
    setTimeout(() => {
      logger.error({ shutdownTimeoutMs, stopping }, 'shutdown timed out: exiting with a part still stopping');
      process.exit(1);
    }, shutdownTimeoutMs).unref();
  }
  for (const part of running.reverse()) {
    stopping = Object.keys(part.endpoints).join(', ') || 'a part';
    try {
      await part.stop();
    } catch (err) {
      logger.error({ err }, 'error while stopping');
    }
  }
  logger.info('stopped');
  // Whatever was still starting (and holds the event loop) is abandoned.
  process.exit(failed ? 1 : 0);
}

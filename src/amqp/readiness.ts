/**
 * RabbitMQ's answer for the API's readiness check, from one long-lived connection (reconnecting
 * on its own), so a probe does not open a new broker connection every few seconds.
 */
import type { Logger } from '../logger.js';
import { openReconnectingConnection } from './connection.js';

export interface BrokerReadiness {
  /** Resolves while connected; rejects with the last connection error otherwise. */
  check: () => Promise<void>;
  close(): Promise<void>;
}

export async function openBrokerReadiness(url: string, logger: Logger): Promise<BrokerReadiness> {
  let connected = false;
  let lastError = 'not connected yet';
  const connection = await openReconnectingConnection({
    url,
    name: 'vidproc readiness probe',
    logger: logger.child({ component: 'amqp-readiness' }),
    delays: { initialDelay: 500, maxDelay: 15_000 },
  });
  connection.on('connect', () => (connected = true));
  const failed = (err: Error) => (lastError = err.message);
  connection.on('disconnect', (err: Error) => {
    connected = false;
    failed(err);
  });
  connection.on('connect-failed', failed);
  connection.on('error', failed);
  return {
    check: () => (connected ? Promise.resolve() : Promise.reject(new Error(lastError))),
    close: () => connection.close(),
  };
}

/**
 * Readiness checks for /readyz: each resolves when its dependency answers.
 * RabbitMQ is watched through one long-lived connection (reconnecting on its own), so a probe
 * does not open a new broker connection every few seconds.
 */
import { connect, type RecoveringChannelModel } from 'amqplib';
import type { Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from './logger.js';
import type { ReadinessCheck } from './api/routes/health/health.index.js';

export function postgresCheck(orm: MikroORM): ReadinessCheck {
  return async () => {
    // A real round trip: the pool connects lazily, so "connected" alone says nothing before the first query.
    await orm.em.fork().getConnection().execute('select 1');
  };
}

export function temporalCheck(connection: Connection, timeoutMs = 1_500): ReadinessCheck {
  return async () => {
    // A deadline of its own: the client would otherwise keep retrying an unreachable server.
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
  };
}

export interface AmqpWatch {
  check: ReadinessCheck;
  close(): Promise<void>;
}

export async function watchAmqp(url: string, logger: Logger): Promise<AmqpWatch> {
  let connected = false;
  let lastError = 'not connected yet';
  const model: RecoveringChannelModel = await connect(url, {
    clientProperties: { connection_name: 'vidproc readiness probe' },
    recovery: { waitForConnect: false, initialDelay: 500, maxDelay: 15_000 },
  });
  model.on('connect', () => {
    connected = true;
  });
  model.on('disconnect', (err: Error) => {
    connected = false;
    lastError = err.message;
    logger.warn({ err }, 'rabbitmq connection lost (readiness probe)');
  });
  model.on('connect-failed', (err: Error) => {
    lastError = err.message;
  });
  model.on('error', (err: Error) => {
    lastError = err.message;
  });
  return {
    check: () => (connected ? Promise.resolve() : Promise.reject(new Error(lastError))),
    close: () => model.close(),
  };
}

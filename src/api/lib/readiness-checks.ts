/**
 * Readiness checks for /readyz: each resolves when its dependency answers (RabbitMQ's is
 * src/amqp/readiness.ts).
 */
import type { Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { ReadinessCheck } from '../routes/health/health.index.js';

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

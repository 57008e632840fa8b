/** Liveness (the process answers) and readiness (its dependencies answer). */
import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../lib/create-app.js';
import type { Logger } from '../../../logger.js';
import { HttpProblem, problemResponse } from '../../lib/problem.js';

/** A dependency check: resolves when the dependency answers, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<void>;

const checksSchema = z
  .record(z.string(), z.enum(['ok', 'unreachable', 'timeout']))
  .openapi({ example: { postgres: 'ok', rabbitmq: 'ok', temporal: 'ok' }, description: 'Each dependency: ok, unreachable or timeout (the reason is in the API log)' });

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['Health'],
  summary: 'The process is alive',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Health'],
  summary: 'Postgres, RabbitMQ and Temporal are reachable',
  responses: {
    200: {
      description: 'Ready',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok'), checks: checksSchema }) } },
    },
    503: problemResponse('Not ready; `checks` names what is not reachable (`unreachable` or `timeout`), without addresses or error text'),
  },
});

/**
 * What /readyz says of a dependency: `ok`, `unreachable` (it failed) or `timeout` (no answer in
 * time). Never the error's text: the probe is unauthenticated and errors name hosts and ports
 * (`connect ECONNREFUSED 10.0.3.7:5432`); that text goes to the API's log instead.
 */
export type CheckResult = 'ok' | 'unreachable' | 'timeout';

export async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number, logger?: Logger): Promise<Record<string, CheckResult>> {
  const timedOut = new Error('timed out');
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut), timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'ok'] as const;
      } catch (err) {
        logger?.warn({ check: name, err: err === timedOut ? `no answer within ${timeoutMs} ms` : err }, 'readiness check failed');
        return [name, err === timedOut ? 'timeout' : 'unreachable'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

export function createHealthRouter(checks: Record<string, ReadinessCheck>, logger?: Logger, timeoutMs = 2_000) {
  return createRouter()
    .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyz, async (c) => {
      const results = await runChecks(checks, timeoutMs, logger);
      const failing = Object.keys(results).filter((name) => results[name] !== 'ok');
      if (failing.length > 0) {
        throw new HttpProblem(503, `not reachable: ${failing.join(', ')}`, { checks: results });
      }
      return c.json({ status: 'ok' as const, checks: results }, 200);
    });
}

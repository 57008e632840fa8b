/** The Hono app skeleton: routers that validate with zod, and one place that maps errors. */
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { requestId } from 'hono/request-id';
import type { Logger } from '../../logger.js';
import { traceRequests } from '../../tracing/http.js';
import { dependencyDown, HttpProblem, problem } from './problem.js';
import type { AppEnv, AppOpenAPI } from './types.js';

/** Invalid input becomes a 400 problem listing each field and what was wrong with it. */
const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const errors = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  return problem(c, 400, errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
};

export function createRouter(): AppOpenAPI {
  return new OpenAPIHono<AppEnv>({ strict: false, defaultHook });
}

export function createApp(logger: Logger): AppOpenAPI {
  const app = createRouter();
  app.use(traceRequests()); // first: everything after runs in the request's span
  app.use(requestId());
  app.use(async (c, next) => {
    const log = logger.child({ requestId: c.get('requestId') });
    c.set('logger', log);
    const started = performance.now();
    await next();
    log.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  });
  app.notFound((c) => problem(c, 404, `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    const log = c.get('logger') ?? logger;
    const unavailable = downDependencyOf(err);
    if (unavailable) log.warn({ err }, `${unavailable} unavailable`);
    const known = err instanceof HttpProblem ? err : unavailable ? dependencyDown(unavailable) : undefined;
    if (known) {
      for (const [k, v] of Object.entries(known.headers)) c.header(k, v);
      return problem(c, known.status, known.message, known.extra);
    }
    if (err instanceof HTTPException) {
      // Hono's own 4xx (e.g. malformed JSON in a body): the client's mistake, said plainly.
      return problem(c, err.status, err.message);
    }
    log.error({ err }, 'unhandled error');
    return problem(c, 500, 'internal error');
  });
  return app;
}

/** Which dependency an error says is down, if any: those are 503s, not 500s. */
function downDependencyOf(err: unknown): string | undefined {
  if (err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'Temporal';
  if (isDatabaseUnavailable(err)) return 'Postgres';
  return undefined;
}

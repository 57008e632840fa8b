/** The HTTP API: /v1 (bearer JWT), health probes, and its OpenAPI document. */
import { RequestContext } from '@mikro-orm/core';
import { Scalar } from '@scalar/hono-api-reference';
import type { Logger } from '../logger.js';
import { AuthError, AuthUnavailableError, type Authenticator } from './lib/auth.js';
import { createApp } from './lib/create-app.js';
import { HttpProblem } from './lib/problem.js';
import { rateLimitPerUser, type RateLimitSettings } from './lib/rate-limit.js';
import { createHealthRouter, type ReadinessCheck } from './routes/health/health.index.js';
import { createOperationsRouter } from './routes/operations/operations.index.js';
import { createStreamsRouter, type StreamsDeps } from './routes/streams/streams.index.js';
import { createVideosRouter, type VideosDeps } from './routes/videos/videos.index.js';
import { createWebhooksRouter, documentWebhookEvents, type WebhooksDeps } from './routes/webhooks/webhooks.index.js';

export interface ApiDeps extends VideosDeps, StreamsDeps, WebhooksDeps {
  authenticate: Authenticator;
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
  /** Per-user rate limits on /v1 (API_RATE_LIMIT); absent: none. */
  rateLimit?: RateLimitSettings;
}

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Bearer realm="vidproc"' };

/** GET /v1/videos/{videoId} (read-video.ts) and GET /v1/videos/stream: each forks the EntityManager it uses. */
const FORKS_ITS_OWN = /^\/v1\/videos\/[^/]+$/;

export function createApi(deps: ApiDeps) {
  const app = createApp(deps.logger);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  app.use('/v1/*', async (c, next) => {
    const header = c.req.header('Authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw new HttpProblem(401, 'a bearer token is required', {}, UNAUTHORIZED_HEADERS);
    try {
      c.set('principal', await deps.authenticate(match[1]));
    } catch (err) {
      if (err instanceof AuthError) throw new HttpProblem(401, err.message, {}, UNAUTHORIZED_HEADERS);
      if (err instanceof AuthUnavailableError) throw new HttpProblem(503, err.message);
      throw err;
    }
    if (c.req.method === 'POST' && !/^application\/(.+\+)?json\b/i.test(c.req.header('Content-Type') ?? '')) {
      throw new HttpProblem(415, 'send the body as JSON (Content-Type: application/json)');
    }
    // One MikroORM context (identity map) per request, but for the reads that fork their own only
    // when they read Postgres (most are answered from memory; a fork costs a request ~4 % of its CPU).
    if (c.req.method === 'GET' && FORKS_ITS_OWN.test(c.req.path)) return next();
    await RequestContext.create(deps.orm.em, next);
  });
  // After authentication: counted per user (src/api/lib/rate-limit.ts).
  if (deps.rateLimit) app.use('/v1/*', rateLimitPerUser(deps.rateLimit));

  app.route('/', createHealthRouter(deps.readiness));
  // Streams first: `/videos/stream` is not the video with id "stream".
  app.route('/v1', createStreamsRouter(deps));
  app.route('/v1', createVideosRouter(deps));
  app.route('/v1', createOperationsRouter(deps));
  app.route('/v1', createWebhooksRouter(deps));
  documentWebhookEvents(app);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'vidproc',
      version: '1.0.0',
      description:
        'Status of uploaded videos and the link to the images extracted from them: read one, list yours, follow them live (Server-Sent Events), and act on them as an operator. Every error is an RFC 9457 problem (application/problem+json).',
    },
  });
  // The interactive reference (Scalar), reading the document above.
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'vidproc API' }));
  return app;
}

export type Api = ReturnType<typeof createApi>;

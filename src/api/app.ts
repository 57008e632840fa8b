/** The HTTP API: /v1 (bearer JWT), health probes, and its OpenAPI document. */
import { RequestContext } from '@mikro-orm/core';
import { Scalar } from '@scalar/hono-api-reference';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../logger.js';
import { httpMetrics } from '../metrics/api.js';
import { AuthError, AuthUnavailableError, type Authenticator } from './lib/auth.js';
import { declareCommonProblems } from './lib/common-problems.js';
import { createApp } from './lib/create-app.js';
import { HttpProblem } from './lib/problem.js';
import { methodGuard, routeTable } from './lib/route-table.js';
import { rateLimitPerUser, type RateLimitSettings } from './lib/rate-limit.js';
import { createHealthRouter, type ReadinessCheck } from './routes/health/health.index.js';
import { createOperationsRouter } from './routes/operations/operations.index.js';
import { createStreamsRouter, type StreamsDeps } from './routes/streams/streams.index.js';
import { createVideosRouter, type VideosDeps } from './routes/videos/videos.index.js';
import { createWebhooksRouter, documentWebhookEvents, type WebhooksDeps } from './routes/webhooks/webhooks.index.js';

/** The HTTP edge's settings (API_BODY_LIMIT, API_CORS_ORIGINS). */
export interface HttpSettings {
  /** The largest request body accepted, in bytes: a larger one is a 413 before it is read whole. */
  bodyLimitBytes: number;
  /** Origins a browser may call the API from (CORS); empty: CORS off (no CORS headers at all). `*`: any. */
  corsOrigins: string[];
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = { bodyLimitBytes: 64 * 1024, corsOrigins: [] };

export interface ApiDeps extends VideosDeps, StreamsDeps, WebhooksDeps {
  authenticate: Authenticator;
  readiness: Record<string, ReadinessCheck>;
  logger: Logger;
  http?: Partial<HttpSettings>;
  /** Per-user rate limits on /v1 (API_RATE_LIMIT); absent: none. */
  rateLimit?: RateLimitSettings;
}

const UNAUTHORIZED_HEADERS = { 'WWW-Authenticate': 'Bearer realm="vidproc"' };

const JSON_CONTENT_TYPE = /^application\/(.+\+)?json\b/i;

/** Response headers a browser script may read across origins (CORS). */
const EXPOSED_HEADERS = ['ETag', 'X-Status-Source', 'X-Status-Age', 'X-Status-Max-Age', 'Retry-After', 'X-Request-Id'];

/**
 * A JSON API's security headers: no content may run or be framed (`default-src 'none'`), no
 * sniffing, no referrer; HSTS for when it is served over TLS. The API reference page (/docs) is
 * the one HTML page: it loads Scalar's script from its CDN, so it keeps the other headers but not
 * that content policy.
 */
const apiSecurityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: 'DENY',
});
const docsSecurityHeaders = secureHeaders({ xFrameOptions: 'DENY' });

/** GET /v1/videos/{videoId} (read-video.ts) and GET /v1/videos/stream: each forks the EntityManager it uses. */
const FORKS_ITS_OWN = /^\/v1\/videos\/[^/]+$/;

export function createApi(deps: ApiDeps) {
  const http = { ...DEFAULT_HTTP_SETTINGS, ...deps.http };
  const app = createApp(deps.logger);
  app.use(httpMetrics());
  const routes = routeTable(app);

  app.use((c, next) => (c.req.path === '/docs' ? docsSecurityHeaders(c, next) : apiSecurityHeaders(c, next)));
  if (http.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: http.corsOrigins.includes('*') ? '*' : http.corsOrigins,
        allowMethods: ['GET', 'HEAD', 'POST', 'DELETE'],
        allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match', 'Last-Event-ID'],
        exposeHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      }),
    );
  }
  app.use(methodGuard(routes));

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
      if (err instanceof AuthUnavailableError) {
        c.get('logger').warn({ err: err.cause }, err.message);
        throw new HttpProblem(503, err.message);
      }
      throw err;
    }
    // JSON or nothing: an operation that takes a body, any body sent, or a POST that names
    // another type. A POST that takes no body may come without one (and without a type).
    const contentType = c.req.header('Content-Type');
    const sendsBody = Number(c.req.header('Content-Length') ?? 0) > 0 || c.req.header('Transfer-Encoding') !== undefined;
    const wantsJson = routes.takesBody(c.req.method, c.req.path) || sendsBody || (c.req.method === 'POST' && contentType !== undefined);
    if (wantsJson && !JSON_CONTENT_TYPE.test(contentType ?? '')) {
      throw new HttpProblem(415, 'send the body as JSON (Content-Type: application/json)');
    }
    // One MikroORM context (identity map) per request, but for the reads that fork their own only
    // when they read Postgres (most are answered from memory; a fork costs a request ~4 % of its CPU).
    if (c.req.method === 'GET' && FORKS_ITS_OWN.test(c.req.path)) return next();
    await RequestContext.create(deps.orm.em, next);
  });
  // After authentication: nobody's body is read (a chunked one counted as it comes) before the token passed.
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: http.bodyLimitBytes,
      onError: () => {
        throw new HttpProblem(413, `the body is larger than ${http.bodyLimitBytes} bytes`);
      },
    }),
  );
  // After authentication: counted per user (src/api/lib/rate-limit.ts).
  if (deps.rateLimit) app.use('/v1/*', rateLimitPerUser(deps.rateLimit));

  app.route('/', createHealthRouter(deps.readiness, deps.logger.child({ component: 'readiness' })));
  // Streams first: `/videos/stream` is not the video with id "stream".
  app.route('/v1', createStreamsRouter(deps));
  app.route('/v1', createVideosRouter(deps));
  app.route('/v1', createOperationsRouter(deps));
  app.route('/v1', createWebhooksRouter(deps));
  documentWebhookEvents(app);

  let document: unknown;
  app.get('/openapi.json', (c) => {
    document ??= declareCommonProblems(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'vidproc',
          version: '1.0.0',
          description:
            'Status of uploaded videos and the link to the images extracted from them: read one, list yours, follow them live (Server-Sent Events), and act on them as an operator. Every error is an RFC 9457 problem (application/problem+json). A known path asked with a method it does not answer is a 405 with `Allow`.',
        },
      }),
    );
    return c.json(document);
  });
  // The interactive reference (Scalar), reading the document above.
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'vidproc API' }));
  return app;
}

export type Api = ReturnType<typeof createApi>;

/**
 * The API's metrics: requests by route template, method and status class, their latency, and the
 * live (SSE) streams open. Labels are bounded: a route is its template (`/v1/videos/:videoId`),
 * never the path a client sent; a request no route matched is `unmatched`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, registry, secondsSince } from './registry.js';

const requests = new Counter({
  name: 'vidproc_api_requests_total',
  help: 'HTTP requests answered, by route template, method and status class (2xx, 4xx, 5xx...).',
  labelNames: ['route', 'method', 'status_class'] as const,
  registers: [registry],
});

const duration = new Histogram({
  name: 'vidproc_api_request_duration_seconds',
  help: 'Time to answer an HTTP request (to the start of the body: a live stream counts until it opened), by route template and method.',
  labelNames: ['route', 'method'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

/** What each API instance in the process has open (one in production; the tests start several). */
const streamSources = new Set<() => number>();
new Gauge({
  name: 'vidproc_api_sse_streams_open',
  help: 'Live (Server-Sent Events) streams open in this process.',
  registers: [registry],
  collect() {
    let open = 0;
    for (const count of streamSources) open += count();
    this.set(open);
  },
});

/** Counts this API's open streams into vidproc_api_sse_streams_open; returns the function that stops it. */
export function observeOpenStreams(count: () => number): () => void {
  streamSources.add(count);
  return () => streamSources.delete(count);
}

/** Methods outside this set are one label value, so a client cannot make new series by inventing them. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Middleware (first in the chain): counts and times every request once it was answered. */
export function httpMetrics(): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = routeTemplate(c);
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      requests.inc({ route, method, status_class: `${Math.floor(c.res.status / 100)}xx` });
      duration.observe({ route, method }, secondsSince(started));
    }
  };
}

/**
 * The template of the route that answered; when a middleware answered (a 401 before the handler),
 * the first route the request matched; `unmatched` when only middleware matched (a 404).
 */
function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  const isMiddleware = (r: { method: string; path: string }) => r.method === 'ALL' && r.path.endsWith('*');
  const answered = routes[c.req.routeIndex];
  if (answered && !isMiddleware(answered)) return answered.path;
  return routes.find((r) => !isMiddleware(r))?.path ?? 'unmatched';
}

/**
 * The API's side of a trace: one server span per request, named by its route template (never
 * the video id), continuing the caller's `traceparent` if it sent one. The workflow query or
 * the Postgres read a request makes runs inside it (Temporal's client interceptor, the pg
 * instrumentation), so one trace shows where the time went. A pass-through while tracing is off.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { activeTracing } from './setup.js';

const headerGetter = {
  keys: (headers: Headers) => [...headers.keys()],
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
};

export function traceRequests(): MiddlewareHandler {
  return async (c, next) => {
    if (!activeTracing()) return next();
    const parent = propagation.extract(ROOT_CONTEXT, c.req.raw.headers, headerGetter);
    const method = c.req.method;
    const span = trace.getTracer('vidproc-api').startSpan(
      method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': c.req.path } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      // The template of the route that answered (the last one matched), known only now.
      const route = routePath(c, -1);
      if (route && route !== '/*' && route !== '*') {
        span.updateName(`${method} ${route}`);
        span.setAttribute('http.route', route);
      }
      const status = c.res.status;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}

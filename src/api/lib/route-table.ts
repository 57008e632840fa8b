/**
 * What the app's routes are, read once from the app itself after they are all registered: which
 * methods each path answers (for 405 + `Allow`, and OPTIONS), and which operations take a body
 * (for 415). Built on the first request, so it sees every route whatever the order of
 * registration.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { HttpProblem } from './problem.js';
import type { AppEnv, AppOpenAPI } from './types.js';

interface PathEntry {
  pattern: RegExp;
  methods: Set<string>;
  /** Methods whose operation declares a request body. */
  withBody: Set<string>;
}

export interface RouteTable {
  /** The methods this path answers (HEAD wherever GET is), or undefined when no route has the path. */
  allowed(path: string): string[] | undefined;
  /** Whether the operation this request reaches declares a request body. */
  takesBody(method: string, path: string): boolean;
}

/** `/v1/videos/:videoId` (Hono) or `/v1/videos/{videoId}` (OpenAPI): a path parameter is one segment. */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (/^(:\w+|\{\w+\})$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  // The app is not strict about a trailing slash.
  return new RegExp(`^${source}/?$`);
}

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function routeTable(app: AppOpenAPI): RouteTable {
  let entries: PathEntry[] | undefined;
  const build = (): PathEntry[] => {
    const byPath = new Map<string, PathEntry>();
    const entry = (path: string) => {
      const key = pathPattern(path).source;
      let found = byPath.get(key);
      if (!found) byPath.set(key, (found = { pattern: pathPattern(path), methods: new Set(), withBody: new Set() }));
      return found;
    };
    // Middleware is registered under ALL (and wildcards): only real routes name a path's methods.
    for (const route of app.routes) {
      if (route.method === 'ALL' || route.path.includes('*')) continue;
      entry(route.path).methods.add(route.method.toUpperCase());
    }
    for (const definition of app.openAPIRegistry.definitions) {
      if (definition.type !== 'route' || !definition.route.request?.body) continue;
      entry(definition.route.path).withBody.add(definition.route.method.toUpperCase());
    }
    return [...byPath.values()].filter((e) => e.methods.size > 0);
  };
  const matching = (path: string) => (entries ??= build()).filter((e) => e.pattern.test(path));
  return {
    allowed(path) {
      const found = matching(path);
      if (found.length === 0) return undefined;
      const methods = new Set(found.flatMap((e) => [...e.methods]));
      if (methods.has('GET')) methods.add('HEAD');
      return ORDER.filter((m) => methods.has(m));
    },
    takesBody(method, path) {
      return matching(path).some((e) => e.withBody.has(method.toUpperCase()));
    },
  };
}

/**
 * A known path asked with a method it does not answer: 405 with `Allow` (RFC 9110), before
 * authentication (the methods of a path are in the public OpenAPI document anyway). OPTIONS on a
 * known path answers 204 with `Allow` (a CORS preflight, when CORS is on, is answered before this).
 * Unknown paths fall through to the 404.
 */
export function methodGuard(table: RouteTable): MiddlewareHandler<AppEnv> {
  return async (c: Context<AppEnv>, next) => {
    const allowed = table.allowed(c.req.path);
    if (!allowed || allowed.includes(c.req.method)) return next();
    const allow = [...allowed, 'OPTIONS'].join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    throw new HttpProblem(405, `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allow})`, {}, { Allow: allow });
  };
}

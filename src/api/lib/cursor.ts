/**
 * Opaque keyset cursors for every paged list of the API (videos, a video's history, webhook
 * deliveries). A cursor carries the position after the last item of a page and is bound to the
 * query that made it (the route, the caller, the filters): it is signed (HMAC-SHA256), so one
 * that was tampered with or made for another query is refused, never misread: a string without a
 * cursor's shape (CURSOR_PATTERN, in the OpenAPI document) is a 400 like any invalid parameter;
 * one with the shape that this API did not make for this query is a 422 (no schema can tell).
 * Every API instance must share the key (API_CURSOR_SECRET) for cursors to survive a load
 * balancer.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { HttpProblem, problemResponse } from './problem.js';

/** What a query is, for binding a cursor to it: any JSON-able value (route name, caller, filters). */
export type QueryIdentity = unknown;

export interface Cursors {
  /** The cursor that continues `query` after `position`. */
  encode(query: QueryIdentity, position: unknown[]): string;
  /** The position a cursor continues from; a 400 problem when it is not a cursor of this query. */
  decode(query: QueryIdentity, cursor: string): unknown[];
}

/** Canonical JSON (sorted keys), so the same query always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const fingerprint = (query: QueryIdentity) => createHash('sha256').update(canonical(query)).digest('base64url').slice(0, 16);

/** What every cursor looks like: the position (base64url JSON), a dot, its HMAC-SHA256 (base64url). */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

/** The query parameter of a paged list (its description says which list). */
export const cursorParam = (description: string) =>
  z.string().max(2048).regex(CURSOR_PATTERN, 'is not a cursor (pass nextCursor as it was given)').optional().openapi({ description });

/** The response entry of a paged list for a cursor it did not make. */
export const foreignCursorResponse = { 422: problemResponse('A cursor of another query or caller, or tampered with: start again without it') };

/** The one answer to a well-formed cursor that cannot continue this query. */
export const invalidCursor = () =>
  new HttpProblem(422, 'cursor is not valid for this query (tampered with, or from another query): start again without it');

/** Cursors signed with `secret`; without one, a key made for this process (cursors then work only on this instance). */
export function createCursors(secret?: string): Cursors {
  const key = secret ? createHash('sha256').update(`vidproc-cursor:${secret}`).digest() : randomBytes(32);
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  return {
    encode(query, position) {
      const body = Buffer.from(JSON.stringify({ q: fingerprint(query), p: position })).toString('base64url');
      return `${body}.${sign(body)}`;
    },
    decode(query, cursor) {
      const [body, mac, extra] = cursor.split('.');
      if (!body || !mac || extra !== undefined) throw invalidCursor();
      const expected = Buffer.from(sign(body));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
      let parsed: { q?: unknown; p?: unknown };
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { q?: unknown; p?: unknown };
      } catch {
        throw invalidCursor();
      }
      if (parsed.q !== fingerprint(query) || !Array.isArray(parsed.p)) throw invalidCursor();
      return parsed.p as unknown[];
    },
  };
}

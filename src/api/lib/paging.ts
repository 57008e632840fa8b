/**
 * One page of a keyset-paged list, the same for every list of the API: read one item more than
 * asked for, so whether a next page exists is known without counting, and hand back a cursor
 * (src/api/lib/cursor.ts) holding the last item's position, bound to the query.
 */
import type { z } from '@hono/zod-openapi';
import { invalidCursor, type Cursors, type QueryIdentity } from './cursor.js';

export interface Page<T> {
  items: T[];
  /** Continues the list after the last item; null on the last page. */
  nextCursor: string | null;
}

export interface KeysetPageOptions<T, P extends unknown[]> {
  cursors: Cursors;
  /** What the list is (route, caller, filters): a cursor continues only the query that made it. */
  query: QueryIdentity;
  cursor: string | undefined;
  limit: number;
  /** The shape of a position (a cursor made by an older version of a list is refused, not misread). */
  position: z.ZodType<P>;
  positionOf(item: T): P;
  /** Up to `limit` items after `after` (null: from the start), in the list's order. */
  fetch(after: P | null, limit: number): Promise<T[]>;
}

export async function keysetPage<T, P extends unknown[]>(options: KeysetPageOptions<T, P>): Promise<Page<T>> {
  const { cursors, query, cursor, limit } = options;
  let after: P | null = null;
  if (cursor !== undefined) {
    const parsed = options.position.safeParse(cursors.decode(query, cursor));
    if (!parsed.success) throw invalidCursor();
    after = parsed.data;
  }
  const items = await options.fetch(after, limit + 1);
  if (items.length <= limit) return { items, nextCursor: null };
  const page = items.slice(0, limit);
  return { items: page, nextCursor: cursors.encode(query, options.positionOf(page[page.length - 1]!)) };
}

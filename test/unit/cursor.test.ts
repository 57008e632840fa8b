import { describe, expect, it } from '@jest/globals';
import { createCursors } from '../../src/api/lib/cursor.js';
import { HttpProblem } from '../../src/api/lib/problem.js';

describe('paging cursors', () => {
  const cursors = createCursors('a-secret-shared-by-every-instance');
  const query = { route: 'videos', userId: 'alice', status: ['processing'] };

  it('carry the position, for the query that made them, across instances sharing the key', () => {
    const cursor = cursors.encode(query, ['2026-01-01T00:00:00.000Z', 'v-9']);
    expect(createCursors('a-secret-shared-by-every-instance').decode({ status: ['processing'], userId: 'alice', route: 'videos' }, cursor)).toEqual([
      '2026-01-01T00:00:00.000Z',
      'v-9',
    ]);
  });

  it('refuse a cursor of another query, another caller, or another key', () => {
    const cursor = cursors.encode(query, [1]);
    expect(() => cursors.decode({ ...query, status: ['failed'] }, cursor)).toThrow(HttpProblem);
    expect(() => cursors.decode({ ...query, userId: 'bob' }, cursor)).toThrow(/not valid for this query/);
    expect(() => createCursors('another-secret').decode(query, cursor)).toThrow(HttpProblem);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['an empty signature', 'abc.'],
    ['three parts', 'a.b.c'],
  ])('refuse %s', (_, cursor) => {
    expect(() => cursors.decode(query, cursor)).toThrow(HttpProblem);
  });

  it('refuse a tampered position', () => {
    const [body, mac] = cursors.encode(query, [5]).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), p: [0] })).toString('base64url');
    expect(() => cursors.decode(query, `${forged}.${mac}`)).toThrow(HttpProblem);
  });
});

/**
 * Listing videos (GET /v1/videos), paging a video's history, and the ETag of GET /v1/videos/{id},
 * through app.request() over the real Postgres and Temporal. Videos are seeded as the worker's
 * activities write them (saveVideo), with creation times chosen by the test; each test has users
 * of its own, and operator listings a window of creation times of their own (other test files
 * write to the same database).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import { createCursors } from '../../src/api/lib/cursor.js';
import { saveVideo } from '../../src/db/video-store.js';
import { historyRecord } from '../../src/domain/history.js';
import { newVideo, type VideoState, type VideoView } from '../../src/domain/video.js';
import { uniqueId } from '../support/events.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { eventually, startHarness, type TemporalHarness } from '../support/env.js';

let h: TemporalHarness;
let app: Api;
let secret: string;

beforeAll(async () => {
  h = await startHarness();
  secret = h.config.AUTH_JWT_SECRET!;
  ({ app } = startTestApi(h, { cursors: createCursors('list-test-cursor-secret') }));
});
afterAll(async () => {
  await closeTestApis();
  await h?.stop();
});

interface VideoPage {
  items: VideoView[];
  nextCursor: string | null;
}
interface Problem {
  status: number;
  detail?: string;
}

/** A user of this test only, with a token; an operator token too. */
const user = async (operator = false) => {
  const id = uniqueId(operator ? 'ops' : 'user');
  return { id, token: await signDevToken(secret, id, operator ? ['operator'] : []) };
};
type Caller = Awaited<ReturnType<typeof user>>;

const get = (path: string, as: Caller, headers: Record<string, string> = {}) =>
  app.request(path, { headers: { Authorization: `Bearer ${as.token}`, ...headers } });

const list = async (as: Caller, params: Record<string, string | string[]> = {}): Promise<VideoPage> => {
  const res = await get(`/v1/videos?${query(params)}`, as);
  expect(res.status).toBe(200);
  return (await res.json()) as VideoPage;
};
const query = (params: Record<string, string | string[]>) =>
  new URLSearchParams(Object.entries(params).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, x]))).toString();

const listProblem = async (as: Caller, params: Record<string, string | string[]>, status = 400): Promise<Problem> => {
  const res = await get(`/v1/videos?${query(params)}`, as);
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/problem+json');
  return (await res.json()) as Problem;
};

/** Every page of a listing, following nextCursor; `between` runs before each next page. */
const listAll = async (as: Caller, params: Record<string, string | string[]>, between: (page: number) => Promise<void> = async () => {}) => {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    const body: VideoPage = await list(as, cursor ? { ...params, cursor } : params);
    ids.push(...body.items.map((v) => v.videoId));
    if (!body.nextCursor) return ids;
    cursor = body.nextCursor;
    await between(page);
  }
};

/** Stores a video as the worker's projection would. */
const seed = async (userId: string, createdAt: Date, patch: Partial<VideoState> = {}, videoId = uniqueId()) => {
  const video: VideoState = { ...newVideo(videoId, createdAt.toISOString()), userId, version: 1, ...patch };
  await saveVideo(h.orm.em.fork(), video, []);
  return video;
};

/** Newest first, the id breaking ties: the listing's order. */
const newestFirst = (videos: VideoState[]) =>
  [...videos].sort((a, b) => (a.createdAt === b.createdAt ? (a.videoId < b.videoId ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1)).map((v) => v.videoId);

const minutes = (start: Date, n: number) => new Date(start.getTime() + n * 60_000);

/** A window of creation times no other test (nor file) uses: operator listings look only there. */
let windows = 0;
const window = () => new Date(Date.UTC(2080 + windows++, 0, 1));

describe('GET /v1/videos', () => {
  it("lists the caller's videos newest first, every item once, while videos are added between pages", async () => {
    const alice = await user();
    const start = new Date('2026-03-01T00:00:00Z');
    // 23 videos; several share a creation time, so the id must break the tie.
    const initial: VideoState[] = [];
    for (let i = 0; i < 23; i++) initial.push(await seed(alice.id, minutes(start, Math.floor(i / 3))));
    const added: VideoState[] = [];

    const seen = await listAll(alice, { limit: '5' }, async (page) => {
      // Newer than everything: at the head of the list, so never on a later page; older than
      // everything: on the last page.
      await seed(alice.id, minutes(start, 1_000 + page));
      added.push(await seed(alice.id, minutes(start, -10 - page)));
    });

    expect(seen).toEqual(newestFirst([...initial, ...added]));
  });

  it('answers each item as the API shows a video, and a null nextCursor on the last page', async () => {
    const alice = await user();
    const video = await seed(alice.id, new Date('2026-03-02T00:00:00Z'), {
      status: 'completed',
      progress: 100,
      imagesUrl: 'https://cdn.example.com/a.zip',
      completedAt: '2026-03-02T00:05:00.000Z',
      fileName: 'a.mp4',
      version: 4,
    });
    const body = await list(alice);
    expect(body).toEqual({
      items: [
        {
          videoId: video.videoId,
          userId: alice.id,
          status: 'completed',
          progress: 100,
          imagesUrl: 'https://cdn.example.com/a.zip',
          imagesUrlExpiresAt: null,
          error: null,
          createdAt: '2026-03-02T00:00:00.000Z',
          updatedAt: '2026-03-02T00:00:00.000Z',
          completedAt: '2026-03-02T00:05:00.000Z',
          stalled: false,
          stalledSince: null,
          version: 4,
        },
      ],
      nextCursor: null,
    });
    expect(await list(await user())).toEqual({ items: [], nextCursor: null });
  });

  it('filters by status (one or several), stalled, and creation time (after inclusive, before exclusive)', async () => {
    const alice = await user();
    const t = new Date('2026-04-01T00:00:00Z');
    const uploaded = await seed(alice.id, minutes(t, 0));
    const stalledUpload = await seed(alice.id, minutes(t, 1), { stalled: true, stalledSince: minutes(t, 20).toISOString() });
    const processing = await seed(alice.id, minutes(t, 2), { status: 'processing', progress: 30 });
    const completed = await seed(alice.id, minutes(t, 3), { status: 'completed', progress: 100 });
    const failed = await seed(alice.id, minutes(t, 4), { status: 'failed', error: { code: 'X', message: 'x' } });
    const ids = async (params: Record<string, string | string[]>) => (await list(alice, params)).items.map((v) => v.videoId);

    expect(await ids({ status: 'processing' })).toEqual([processing.videoId]);
    expect((await list(alice, { status: 'failed' })).items).toEqual([
      expect.objectContaining({ videoId: failed.videoId, status: 'failed', error: { code: 'X', message: 'x' }, progress: null }),
    ]);
    expect(await ids({ status: ['failed', 'uploaded'] })).toEqual([failed.videoId, stalledUpload.videoId, uploaded.videoId]);
    expect(await ids({ stalled: 'true' })).toEqual([stalledUpload.videoId]);
    expect(await ids({ stalled: 'false' })).toEqual([failed.videoId, completed.videoId, processing.videoId, uploaded.videoId]);
    expect(await ids({ status: 'uploaded', stalled: 'false' })).toEqual([uploaded.videoId]);
    expect(await ids({ createdAfter: minutes(t, 2).toISOString() })).toEqual([failed.videoId, completed.videoId, processing.videoId]);
    expect(await ids({ createdBefore: minutes(t, 2).toISOString() })).toEqual([stalledUpload.videoId, uploaded.videoId]);
    // Any RFC 3339 offset names the same instant.
    expect(await ids({ createdAfter: '2026-04-01T02:01:00+02:00', createdBefore: '2026-04-01T00:03:00Z' })).toEqual([
      processing.videoId,
      stalledUpload.videoId,
    ]);
    expect(await ids({ status: ['completed', 'failed'], createdBefore: minutes(t, 4).toISOString() })).toEqual([completed.videoId]);
    // A window that closes where (or before) it opens holds no video: valid, and empty.
    expect(await ids({ createdAfter: minutes(t, 2).toISOString(), createdBefore: minutes(t, 2).toISOString() })).toEqual([]);
    expect(await ids({ createdAfter: minutes(t, 3).toISOString(), createdBefore: minutes(t, 1).toISOString() })).toEqual([]);
  });

  it.each([
    ['an unknown status', { status: 'done' }, /status/],
    ['one unknown status among several', { status: ['failed', 'done'] }, /status/],
    ['stalled that is not true or false', { stalled: 'yes' }, /stalled/],
    ['createdAfter that is not RFC 3339', { createdAfter: '2026-04-01' }, /createdAfter/],
    ['createdBefore without a zone', { createdBefore: '2026-04-01T00:00:00' }, /createdBefore/],
    ['limit 0', { limit: '0' }, /limit/],
    ['limit 101', { limit: '101' }, /limit/],
    ['a limit that is not a number', { limit: 'ten' }, /limit/],
    ['a limit that is not whole', { limit: '2.5' }, /limit/],
    ['an empty cursor', { cursor: '' }, /cursor/],
  ])('answers 400 for %s, saying what is wrong', async (_name, params, pattern) => {
    expect((await listProblem(await user(), params)).detail).toMatch(pattern);
  });

  it('pages 20 by default and up to 100', async () => {
    const alice = await user();
    const start = new Date('2026-05-01T00:00:00Z');
    for (let i = 0; i < 101; i++) await seed(alice.id, minutes(start, i));
    const byDefault = await list(alice);
    expect(byDefault.items).toHaveLength(20);
    expect(byDefault.nextCursor).not.toBeNull();
    const hundred = await list(alice, { limit: '100' });
    expect(hundred.items).toHaveLength(100);
    const rest = await list(alice, { limit: '100', cursor: hundred.nextCursor! });
    expect(rest).toEqual({ items: [expect.objectContaining({ createdAt: start.toISOString() })], nextCursor: null });
    // The page size may change between pages: the cursor holds a position, not an offset.
    const one = await list(alice, { limit: '1', cursor: byDefault.nextCursor! });
    expect(one.items.map((v) => v.createdAt)).toEqual([minutes(start, 80).toISOString()]);
  });

  it("shows a user only their own videos, whatever userId they send; an operator everyone's, or one user's", async () => {
    const [alice, bob, ops] = [await user(), await user(), await user(true)];
    const w = window();
    const alices = [await seed(alice.id, minutes(w, 0)), await seed(alice.id, minutes(w, 2))];
    const bobs = [await seed(bob.id, minutes(w, 1))];
    const inWindow = { createdAfter: w.toISOString(), createdBefore: minutes(w, 60).toISOString() };
    const ids = async (as: Caller, params: Record<string, string> = {}) => listAll(as, { ...inWindow, ...params });

    expect(await ids(alice)).toEqual(newestFirst(alices));
    expect(await ids(alice, { userId: alice.id })).toEqual(newestFirst(alices));
    expect(await ids(bob)).toEqual(newestFirst(bobs));
    // Another user's id is refused the same way whether that user exists or not: it tells nothing.
    const named = await listProblem(alice, { ...inWindow, userId: bob.id });
    const unknown = await listProblem(alice, { ...inWindow, userId: uniqueId('nobody') });
    expect(named.detail).toMatch(/operator/);
    expect(named.detail).toBe(unknown.detail);

    expect(await ids(ops)).toEqual(newestFirst([...alices, ...bobs]));
    expect(await ids(ops, { userId: bob.id })).toEqual(newestFirst(bobs));
    expect(await ids(ops, { userId: uniqueId('nobody') })).toEqual([]);
  });

  it('refuses a cursor from another query, another caller, another list, or tampered with (422 problem; 400 for a string that is not a cursor)', async () => {
    const [alice, bob, ops] = [await user(), await user(), await user(true)];
    const w = window();
    for (let i = 0; i < 3; i++) await seed(alice.id, minutes(w, i), { status: 'processing' });
    const cursor = (await list(alice, { status: 'processing', limit: '1' })).nextCursor!;
    expect(cursor).toEqual(expect.any(String));
    // The same query goes on (status values in any order name the same query).
    expect((await list(alice, { status: ['processing', 'processing'], limit: '1', cursor })).items).toHaveLength(1);

    const refused = async (as: Caller, params: Record<string, string | string[]>) =>
      expect((await listProblem(as, params, 422)).detail).toMatch(/cursor is not valid for this query/);
    await refused(alice, { cursor }); // without the filter
    await refused(alice, { status: ['processing', 'failed'], cursor }); // another filter
    await refused(alice, { status: 'processing', stalled: 'false', cursor });
    await refused(bob, { status: 'processing', cursor }); // another caller
    await refused(ops, { status: 'processing', userId: alice.id, cursor }); // even an operator's same-looking query
    const [body, mac] = cursor.split('.');
    const moved = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), p: ['2999-01-01T00:00:00.000Z', 'z'] }));
    await refused(alice, { status: 'processing', cursor: `${moved.toString('base64url')}.${mac}` });
    await refused(alice, { status: 'processing', cursor: `${body}.${mac!.slice(1)}x` });
    expect((await listProblem(alice, { status: 'processing', cursor: 'not-a-cursor' })).detail).toMatch(/cursor: is not a cursor/);

    // A history's cursor is not a listing's.
    const video = await seedHistory(alice.id, 3);
    const historyCursor = ((await (await get(`/v1/videos/${video.videoId}/events?limit=1`, alice)).json()) as { nextCursor: string }).nextCursor;
    await refused(alice, { cursor: historyCursor });
  });
});

/** A finished video (read from Postgres) with `n` history records. */
async function seedHistory(userId: string, n: number) {
  const at = '2026-06-01T00:00:00.000Z';
  const video: VideoState = { ...newVideo(uniqueId(), at), userId, status: 'completed', completedAt: at, version: n };
  const records = Array.from({ length: n }, (_, i) =>
    historyRecord(i + 1, { eventId: `e-${i + 1}`, type: 'vidproc.video.processing.progress', source: 'test', eventTime: at, data: { percent: i % 100 } }, { applied: true, reason: 'progress' }, at),
  );
  await saveVideo(h.orm.em.fork(), video, records);
  return video;
}

describe('GET /v1/videos/{videoId}/events', () => {
  interface History {
    videoId: string;
    events: Array<{ seq: number }>;
    nextCursor: string | null;
  }
  const history = async (as: Caller, videoId: string, params: Record<string, string> = {}) => {
    const res = await get(`/v1/videos/${videoId}/events?${query(params)}`, as);
    expect(res.status).toBe(200);
    return (await res.json()) as History;
  };

  it('pages past 1,000 records with a cursor; without one, the oldest 200 as before', async () => {
    const alice = await user();
    const video = await seedHistory(alice.id, 1_234);

    const first = await history(alice, video.videoId);
    expect(first.videoId).toBe(video.videoId);
    expect(first.events.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const seqs: number[] = [];
    let cursor: string | null = null;
    do {
      const page: History = await history(alice, video.videoId, { limit: '1000', ...(cursor ? { cursor } : {}) });
      seqs.push(...page.events.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seqs).toEqual(Array.from({ length: 1_234 }, (_, i) => i + 1));

    const last = await history(alice, video.videoId, { limit: '1000', cursor: first.nextCursor! });
    expect(last.events[0]!.seq).toBe(201);
  });

  it("refuses a cursor of another video, another caller, or a bad limit; another user's video is a 404", async () => {
    const [alice, ops] = [await user(), await user(true)];
    const [one, two] = [await seedHistory(alice.id, 3), await seedHistory(alice.id, 3)];
    const cursor = (await history(alice, one.videoId, { limit: '1' })).nextCursor!;
    expect((await history(alice, one.videoId, { limit: '5', cursor })).events.map((e) => e.seq)).toEqual([2, 3]);

    for (const [as, videoId] of [
      [alice, two.videoId],
      [ops, one.videoId],
    ] as const) {
      const res = await get(`/v1/videos/${videoId}/events?cursor=${cursor}`, as);
      expect(res.status).toBe(422);
      expect(((await res.json()) as Problem).detail).toMatch(/cursor is not valid/);
    }
    for (const limit of ['0', '1001']) expect((await get(`/v1/videos/${one.videoId}/events?limit=${limit}`, alice)).status).toBe(400);
    const bob = await user();
    expect((await get(`/v1/videos/${one.videoId}/events?cursor=${cursor}`, bob)).status).toBe(404);
  });
});

describe('GET /v1/videos/{videoId}: ETag and If-None-Match', () => {
  it('answers an ETag of the view, 304 while it is unchanged, and a new ETag once it changes', async () => {
    const alice = await user();
    const video = await seed(alice.id, new Date('2026-07-01T00:00:00Z'), { status: 'completed', progress: 100, completedAt: '2026-07-01T00:01:00.000Z', version: 3 });
    const path = `/v1/videos/${video.videoId}`;

    const first = await get(path, alice);
    expect(first.status).toBe(200);
    const tag = first.headers.get('ETag')!;
    expect(tag).toMatch(/^"[^"]+"$/);
    expect((await get(path, alice)).headers.get('ETag')).toBe(tag);

    for (const ifNoneMatch of [tag, `W/${tag}`, `"other", ${tag}`]) {
      const cached = await get(path, alice, { 'If-None-Match': ifNoneMatch });
      expect(cached.status).toBe(304);
      expect(cached.headers.get('ETag')).toBe(tag);
      expect(await cached.text()).toBe('');
    }
    expect((await get(path, alice, { 'If-None-Match': '"other"' })).status).toBe(200);

    // Someone else's video is a 404 whatever they send: an ETag tells them nothing.
    const bob = await user();
    expect((await get(path, bob, { 'If-None-Match': tag })).status).toBe(404);
    expect((await get(path, bob, { 'If-None-Match': '*' })).status).toBe(404);

    await seed(alice.id, new Date(video.createdAt), { ...video, imagesUrl: 'https://cdn.example.com/b.zip', version: 4 }, video.videoId);
    // A finished video's view is kept in memory until the write's NOTIFY arrives (a few ms; README, "Reads").
    const changed = await eventually(async () => {
      const res = await get(path, alice, { 'If-None-Match': tag });
      return res.status === 304 ? undefined : res;
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ imagesUrl: 'https://cdn.example.com/b.zip', version: 4 });
    expect(changed.headers.get('ETag')).not.toBe(tag);
  });

  it('declares the ETag, If-None-Match and the 304 in the OpenAPI document, and the listing', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, { get: { parameters: Array<{ name: string; in: string }>; responses: Record<string, { headers?: Record<string, unknown> }> } }>;
    };
    const getVideo = doc.paths['/v1/videos/{videoId}']!.get;
    expect(getVideo.parameters).toContainEqual(expect.objectContaining({ name: 'if-none-match', in: 'header' }));
    expect(Object.keys(getVideo.responses['200']!.headers!)).toContain('ETag');
    expect(Object.keys(getVideo.responses['304']!.headers!)).toContain('ETag');
    const listing = doc.paths['/v1/videos']!.get;
    expect(listing.parameters.map((p) => p.name)).toEqual(['status', 'stalled', 'createdAfter', 'createdBefore', 'userId', 'limit', 'cursor']);
    expect(doc.paths['/v1/videos/{videoId}/events']!.get.parameters.map((p) => p.name)).toEqual(['videoId', 'limit', 'cursor']);
  });
});

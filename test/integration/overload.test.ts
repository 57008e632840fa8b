/**
 * Overload that degrades honestly, over the real Temporal dev server, worker and Postgres: past
 * API_MAX_CONCURRENT_QUERIES a read is answered at once from the projection (`X-Status-Source:
 * database`, `X-Status-Fallback: busy`, its row's age), or with a 503 and Retry-After when there
 * is nothing to fall back to; a workflow slower than LIVE_VIEW_PATIENCE likewise; and per-user rate
 * limits on /v1 (429 with Retry-After and the RateLimit headers, only past the limit, per user).
 * The queries under way are held by a wrapper around the real gateway's query.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { createLiveViews, type AskWorkflow } from '../../src/api/lib/live-views.js';
import { connectDatabase } from '../../src/db/index.js';
import type { VideoState } from '../../src/domain/video.js';
import { uniqueId } from '../support/events.js';
import { eventually } from '../support/env.js';
import { startReadFixture, type ReadFixture } from '../support/read-fixture.js';

let fx: ReadFixture;
beforeAll(async () => void (fx = await startReadFixture({ alice: [], bob: [], carol: [] })));
afterAll(() => fx?.stop());

const get = (app: Api, path: string, as: string): Promise<Response> => fx.get(app, path, as);
const getVideo = (app: Api, videoId: string, as = 'alice') => get(app, `/v1/videos/${videoId}`, as);
const inFlightVideo = () => fx.inFlightVideo();

/** The real gateway's query; the queries of `heldIds` wait until released. Counts every query sent. */
function heldQueries(heldIds: Set<string>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const sent: string[] = [];
  const ask: AskWorkflow = async (videoId, timeoutMs) => {
    sent.push(videoId);
    if (heldIds.has(videoId)) await released;
    return fx.videos.liveStatus(videoId, timeoutMs);
  };
  return { ask, sent, release };
}

/** The age a projection's view of `row` may say, read between `before` and `after` (wall clock). */
const expectRowAge = (res: Response, row: VideoState, before: number, after: number) => {
  const age = Number(res.headers.get('X-Status-Age'));
  expect(age).toBeGreaterThanOrEqual(before - Date.parse(row.updatedAt));
  expect(age).toBeLessThanOrEqual(after - Date.parse(row.updatedAt));
};

const problemOf = async (res: Response) => ({ status: res.status, type: res.headers.get('Content-Type'), body: (await res.json()) as { status: number; title: string } });

describe('past the bound on workflow queries (API_MAX_CONCURRENT_QUERIES)', () => {
  it('a read is answered at once from the projection, saying so and how old its row is; no query is sent', async () => {
    const [busyOne, other] = [await inFlightVideo(), await inFlightVideo()];
    const held = heldQueries(new Set([busyOne.videoId]));
    const liveViews = createLiveViews(held.ask, { maxAgeMs: 0, timeoutMs: 10_000, maxConcurrent: 1, patienceMs: 10_000 });
    const { app } = fx.startApi({ liveViews });

    // The one query this process may have under way: held (the video's own read waits for it).
    const waiting = getVideo(app, busyOne.videoId);
    await eventually(() => (liveViews.inFlight() === 1 ? true : undefined));

    const before = Date.now();
    const res = await getVideo(app, other.videoId);
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Status-Source')).toBe('database');
    expect(res.headers.get('X-Status-Fallback')).toBe('busy');
    expect(res.headers.get('X-Status-Max-Age')).toBeNull();
    expectRowAge(res, other, before, after);
    expect(await res.json()).toMatchObject({ videoId: other.videoId, status: 'processing', version: other.version });
    expect(held.sent).toEqual([busyOne.videoId]);
    expect(liveViews.stats().busy).toBe(1);

    // Released: the held read gets the workflow's answer, and the bound is free again.
    held.release();
    const answered = await waiting;
    expect(answered.headers.get('X-Status-Source')).toBe('workflow');
    expect(answered.headers.get('X-Status-Fallback')).toBeNull();
    const again = await getVideo(app, other.videoId);
    expect(again.headers.get('X-Status-Source')).toBe('workflow');
    expect(held.sent).toEqual([busyOne.videoId, other.videoId]);
  });

  it('with nothing to fall back to (no row; Postgres out), a 503 with Retry-After after LIVE_VIEW_PATIENCE; below the bound the workflow answers without Postgres', async () => {
    const busyOne = await inFlightVideo();
    const held = heldQueries(new Set([busyOne.videoId]));
    const liveViews = createLiveViews(held.ask, { maxAgeMs: 0, timeoutMs: 10_000, maxConcurrent: 1, patienceMs: 100 });
    const { app } = fx.startApi({ liveViews });
    const waiting = getVideo(app, busyOne.videoId);
    await eventually(() => (liveViews.inFlight() === 1 ? true : undefined));

    // Not in Postgres (unknown, or registered and not written yet): only a workflow could say.
    const unseen = uniqueId();
    const res = await getVideo(app, unseen);
    expect(await problemOf(res)).toEqual({ status: 503, type: 'application/problem+json', body: expect.objectContaining({ status: 503, title: 'Service Unavailable' }) });
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(held.sent).toEqual([busyOne.videoId]);

    // Postgres out: a video in flight can only be answered by its workflow.
    const other = await inFlightVideo();
    const deadOrm = await connectDatabase('postgres://postgres@127.0.0.1:1/vidproc');
    try {
      const noDb = fx.startApi({ orm: deadOrm, liveViews }).app;
      const refused = await getVideo(noDb, other.videoId);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('Retry-After')).toBe('1');

      // The held read was answered from its row after the patience (its query still under way).
      expect((await waiting).headers.get('X-Status-Fallback')).toBe('slow');
      held.release();
      await eventually(() => (liveViews.inFlight() === 0 ? true : undefined));
      const answered = await getVideo(noDb, other.videoId);
      expect(answered.status).toBe(200);
      expect(answered.headers.get('X-Status-Source')).toBe('workflow');
    } finally {
      await deadOrm.close(true);
    }
  });

  it('with nothing to fall back to, a read waits for a slot within LIVE_VIEW_PATIENCE and is answered when one frees', async () => {
    const busyOne = await inFlightVideo();
    const held = heldQueries(new Set([busyOne.videoId]));
    const liveViews = createLiveViews(held.ask, { maxAgeMs: 0, timeoutMs: 10_000, maxConcurrent: 1, patienceMs: 10_000 });
    const { app } = fx.startApi({ liveViews });
    const waiting = getVideo(app, busyOne.videoId);
    await eventually(() => (liveViews.inFlight() === 1 ? true : undefined));

    const unseen = uniqueId();
    const queued = getVideo(app, unseen);
    // It waits (no query sent for it) until the held query ends and frees the one slot.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(held.sent).toEqual([busyOne.videoId]);
    held.release();
    expect((await waiting).status).toBe(200);
    expect((await queued).status).toBe(404);
    expect(held.sent).toEqual([busyOne.videoId, unseen]);
    expect(liveViews.stats().busy).toBe(0);
  });
});

describe('a workflow slower than LIVE_VIEW_PATIENCE', () => {
  it('is not waited for when the projection has a row: it answers, saying so; the late answer serves the next reads', async () => {
    const slow = await inFlightVideo();
    const held = heldQueries(new Set([slow.videoId]));
    const liveViews = createLiveViews(held.ask, { maxAgeMs: 60_000, timeoutMs: 10_000, patienceMs: 50 });
    const { app } = fx.startApi({ liveViews });

    const before = Date.now();
    const res = await getVideo(app, slow.videoId);
    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Status-Source')).toBe('database');
    expect(res.headers.get('X-Status-Fallback')).toBe('slow');
    expectRowAge(res, slow, before, after);
    // A read that joins the query under way is not held past the patience either.
    expect((await getVideo(app, slow.videoId)).headers.get('X-Status-Fallback')).toBe('slow');
    expect(held.sent).toEqual([slow.videoId]);

    held.release();
    await eventually(() => (liveViews.recent(slow.videoId) ? true : undefined));
    const next = await getVideo(app, slow.videoId);
    expect(next.headers.get('X-Status-Source')).toBe('workflow');
    expect(held.sent).toEqual([slow.videoId]);
  });
});

describe('per-user rate limits on /v1 (API_RATE_LIMIT per API_RATE_LIMIT_WINDOW)', () => {
  const LIMIT = 5;
  const policy = `"per-user";q=${LIMIT};w=60`;

  it('answers 429 with Retry-After and the RateLimit headers only past the limit, and one user is not limited by another', async () => {
    const { app } = fx.startApi({ rateLimit: { limit: LIMIT, windowMs: 60_000 } });
    const path = '/v1/videos?limit=1';

    for (let i = 1; i <= LIMIT; i++) {
      const res = await get(app, path, 'alice');
      expect(res.status).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe(policy);
      expect(res.headers.get('RateLimit')).toMatch(new RegExp(`^"per-user";r=${LIMIT - i};t=(59|60)$`));
    }
    const limited = await get(app, path, 'alice');
    expect(await problemOf(limited)).toEqual({ status: 429, type: 'application/problem+json', body: expect.objectContaining({ status: 429, title: 'Too Many Requests' }) });
    const retryAfter = Number(limited.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('RateLimit-Policy')).toBe(policy);
    expect(limited.headers.get('RateLimit')).toBe(`"per-user";r=0;t=${retryAfter}`);
    // Every route of /v1 counts, and stays refused.
    expect((await getVideo(app, uniqueId(), 'alice')).status).toBe(429);

    // bob's own count: alice's requests do not touch it.
    const bobs = await Promise.all(Array.from({ length: LIMIT }, () => get(app, path, 'bob')));
    expect(bobs.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    expect(bobs.map((r) => r.headers.get('RateLimit')!.match(/r=(\d+)/)![1]).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect((await get(app, path, 'bob')).status).toBe(429);
  });

  it('counts again once the window has passed', async () => {
    const { app } = fx.startApi({ rateLimit: { limit: 2, windowMs: 1_000 } });
    const path = '/v1/videos?limit=1';
    expect([(await get(app, path, 'carol')).status, (await get(app, path, 'carol')).status]).toEqual([200, 200]);
    const limited = await get(app, path, 'carol');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('1');
    await eventually(async () => ((await get(app, path, 'carol')).status === 200 ? true : undefined));
  });

  it('is off with a limit of 0, and does not count requests refused before (no token)', async () => {
    const { app } = fx.startApi({ rateLimit: { limit: 0, windowMs: 1_000 } });
    const responses = await Promise.all(Array.from({ length: 20 }, () => get(app, '/v1/videos?limit=1', 'alice')));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses[0]!.headers.get('RateLimit')).toBeNull();

    const limited = fx.startApi({ rateLimit: { limit: 1, windowMs: 60_000 } }).app;
    for (let i = 0; i < 3; i++) expect((await limited.request('/v1/videos')).status).toBe(401);
    expect((await get(limited, '/v1/videos?limit=1', 'alice')).status).toBe(200);
  });

  it('is declared on every /v1 operation of the OpenAPI document', async () => {
    const { app } = fx.startApi();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, op })));
    expect(operations.length).toBeGreaterThan(5);
    for (const { at, op } of operations) {
      expect([at, Object.keys(op.responses['429']?.headers ?? {}).sort()]).toEqual([at, ['RateLimit', 'RateLimit-Policy', 'Retry-After']]);
    }
  });
});

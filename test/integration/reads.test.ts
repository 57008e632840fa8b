/**
 * Reads that scale (GET /v1/videos/{videoId}) over the real Temporal dev server, worker, Postgres
 * and change feed: a finished video's final view kept in memory (never to another user, never past
 * a change of its row, no database round trip), and workflow queries shared by concurrent reads
 * and reused within LIVE_VIEW_MAX_AGE. Queries are counted by a wrapper around the real gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { createLiveViews, type AskWorkflow } from '../../src/api/lib/live-views.js';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/db/config.js';
import { findVideo } from '../../src/db/video-store.js';
import type { VideoState, VideoView } from '../../src/domain/video.js';
import type { LiveStatus } from '../../src/temporal/video-gateway.js';
import type { TestApi } from '../support/api.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually } from '../support/env.js';
import { startReadFixture, type ReadFixture } from '../support/read-fixture.js';

let fx: ReadFixture;
beforeAll(async () => void (fx = await startReadFixture({ alice: [], bob: [], ops: ['operator'] })));
afterAll(() => fx?.stop());

const get = (app: Api, videoId: string, as: string, headers: Record<string, string> = {}) => fx.get(app, `/v1/videos/${videoId}`, as, headers);

/** A video of alice's, finished and in Postgres. */
async function finishedVideo(): Promise<VideoState> {
  const videoId = uniqueId();
  await fx.videos.register(videoId, 'alice');
  await fx.videos.sendEvent(ev.completed(videoId, 'https://cdn.example.com/done.zip'));
  return fx.stored(videoId, (v) => v.status === 'completed');
}

/** A video of alice's, processing, in Postgres (so a read asks its workflow): its id. */
const inFlightVideo = async () => (await fx.inFlightVideo()).videoId;

/** The real gateway's query, counted. */
function countedQueries() {
  const counted = { calls: 0 };
  const ask: AskWorkflow = (videoId, timeoutMs) => {
    counted.calls++;
    return fx.videos.liveStatus(videoId, timeoutMs);
  };
  return { counted, ask };
}

/** A problem response as the client sees it, the video's id replaced (to compare two videos' answers). */
const problemOf = async (res: Response, videoId: string) => ({
  status: res.status,
  headers: [...res.headers.keys()].filter((k) => k !== 'x-request-id' && k !== 'content-length').sort(),
  type: res.headers.get('Content-Type'),
  body: (await res.text()).replaceAll(videoId, 'ID'),
});

describe("a finished video's view, kept in memory", () => {
  it('is read from Postgres once, then served with no database round trip', async () => {
    // This API's own connection to Postgres, whose every query is counted (MikroORM's query log).
    const queries: string[] = [];
    const orm = await MikroORM.init(ormConfig(fx.h.config.DATABASE_URL, { debug: ['query'], logger: (line) => void queries.push(line) }));
    const videoReads = () => queries.filter((q) => q.includes('from "videos"')).length;
    try {
      const { app, deps }: TestApi = fx.startApi({ orm });
      const video = await finishedVideo();

      const first = await get(app, video.videoId, 'alice');
      expect(first.status).toBe(200);
      expect(first.headers.get('X-Status-Source')).toBe('database');
      expect(first.headers.get('X-Status-Age')).toBe('0');
      expect(first.headers.get('X-Status-Max-Age')).toBeNull();
      const body = await first.text();
      expect(JSON.parse(body)).toMatchObject({ videoId: video.videoId, status: 'completed', userId: 'alice', version: video.version });
      expect(deps.finalViews.get(video.videoId)?.view.version).toBe(video.version);
      expect(videoReads()).toBe(1);

      for (const as of ['alice', 'ops', 'alice']) {
        const again = await get(app, video.videoId, as);
        expect(again.status).toBe(200);
        expect(again.headers.get('X-Status-Source')).toBe('database');
        expect(Number(again.headers.get('X-Status-Age'))).toBeGreaterThanOrEqual(0);
        expect(again.headers.get('ETag')).toBe(first.headers.get('ETag'));
        expect(await again.text()).toBe(body);
      }
      const notModified = await get(app, video.videoId, 'alice', { 'If-None-Match': first.headers.get('ETag')! });
      expect(notModified.status).toBe(304);
      expect(videoReads()).toBe(1);

      // A video it does not keep is read from Postgres every time (the count does count).
      await get(app, uniqueId(), 'alice');
      expect(videoReads()).toBe(2);
    } finally {
      await orm.close(true);
    }
  });

  it('is never served to another user: a 404 exactly like an unknown video, whatever If-None-Match says', async () => {
    const { app, deps } = fx.startApi();
    const video = await finishedVideo();
    const mine = await get(app, video.videoId, 'alice');
    expect(mine.status).toBe(200);
    expect(deps.finalViews.get(video.videoId)).toBeDefined();

    const unknownId = uniqueId();
    const unknown = await problemOf(await get(app, unknownId, 'bob'), unknownId);
    const variants: Array<Record<string, string>> = [{}, { 'If-None-Match': mine.headers.get('ETag')! }, { 'If-None-Match': '*' }];
    for (const headers of variants) {
      const res = await get(app, video.videoId, 'bob', headers);
      expect(res.headers.get('X-Status-Source')).toBeNull();
      expect(res.headers.get('ETag')).toBeNull();
      expect(await problemOf(res, video.videoId)).toEqual(unknown);
    }
    // Operators read every video, kept or not.
    const ops = await get(app, video.videoId, 'ops');
    expect(ops.status).toBe(200);
    expect(ops.headers.get('ETag')).toBe(mine.headers.get('ETag'));
  });

  it('is final: a late event (even one that changes nothing) drops it, and the next read has the new version', async () => {
    const { app, deps } = fx.startApi();
    const video = await finishedVideo();
    const first = (await (await get(app, video.videoId, 'alice')).json()) as VideoView;
    expect(deps.finalViews.get(video.videoId)?.view.version).toBe(first.version);

    await fx.videos.sendEvent(ev.progress(video.videoId, 50)); // ignored ("already completed"), but a history line
    await fx.stored(video.videoId, (v) => v.version === first.version + 1);
    const later = await eventually(async () => {
      const view = (await (await get(app, video.videoId, 'alice')).json()) as VideoView;
      return view.version === first.version + 1 ? view : undefined;
    });
    const { version: _v, ...rest } = later;
    const { version: _f, ...firstRest } = first;
    expect(rest).toEqual(firstRest);
    // Kept again, as it is now.
    expect(deps.finalViews.get(video.videoId)?.view.version).toBe(later.version);
  });

  it('is not kept while the video has no owner: the owner a late uploaded event names reads it', async () => {
    const { app, deps } = fx.startApi();
    const videoId = uniqueId();
    await fx.videos.sendEvent(ev.started(videoId));
    await fx.videos.sendEvent(ev.completed(videoId));
    await fx.stored(videoId, (v) => v.status === 'completed');

    const byOps = await get(app, videoId, 'ops');
    expect(byOps.status).toBe(200);
    expect(await byOps.json()).toMatchObject({ status: 'completed', userId: null });
    expect(deps.finalViews.get(videoId)).toBeUndefined();
    expect((await get(app, videoId, 'alice')).status).toBe(404);

    await fx.videos.sendEvent(ev.uploaded(videoId, 'alice'));
    await fx.stored(videoId, (v) => v.userId === 'alice');
    const byAlice = await get(app, videoId, 'alice');
    expect(byAlice.status).toBe(200);
    expect(await byAlice.json()).toMatchObject({ status: 'completed', userId: 'alice' });
  });

  it('is not kept with FINAL_VIEW_CACHE_SIZE 0', async () => {
    const { createFinalViews } = await import('../../src/api/lib/final-views.js');
    const harnessApi = fx.startApi();
    const off = createFinalViews(harnessApi.feed, { max: 0 });
    const { app } = fx.startApi({ finalViews: off });
    const video = await finishedVideo();
    expect((await get(app, video.videoId, 'alice')).status).toBe(200);
    expect(off.get(video.videoId)).toBeUndefined();
    expect(off.size()).toBe(0);
  });
});

describe('reads of a video in flight', () => {
  it('share one workflow query while it is under way', async () => {
    const videoId = await inFlightVideo();
    const { counted, ask } = countedQueries();
    // The first query's answer waits until every read has joined it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: AskWorkflow = async (id, timeoutMs) => {
      const status = await ask(id, timeoutMs);
      if (counted.calls === 1) await released;
      return status;
    };
    const liveViews = createLiveViews(held, { maxAgeMs: 0, timeoutMs: 10_000 });
    const { app } = fx.startApi({ liveViews });

    const reads = Array.from({ length: 20 }, () => get(app, videoId, 'alice'));
    await eventually(() => (liveViews.stats().joined === 19 ? true : undefined));
    release();
    const responses = await Promise.all(reads);
    expect(responses.map((r) => [r.status, r.headers.get('X-Status-Source')])).toEqual(Array(20).fill([200, 'workflow']));
    expect(new Set(await Promise.all(responses.map((r) => r.text()))).size).toBe(1);
    expect(counted.calls).toBe(1);
    expect(liveViews.stats()).toEqual({ queries: 1, joined: 19, reused: 0, refreshed: 0, busy: 0 });

    // The query answered: with LIVE_VIEW_MAX_AGE 0, the next read asks again.
    const next = await get(app, videoId, 'alice');
    expect(next.headers.get('X-Status-Age')).toBe('0');
    expect(next.headers.get('X-Status-Max-Age')).toBe('0');
    expect(counted.calls).toBe(2);
  });

  it('are served a live view again for at most LIVE_VIEW_MAX_AGE, as the headers say', async () => {
    const videoId = await inFlightVideo();
    const { counted, ask } = countedQueries();
    let clock = 10_000;
    // No refresh in the background here (refreshAfterMs = the bound): each query is one a read waits for.
    const liveViews = createLiveViews(ask, { maxAgeMs: 250, timeoutMs: 1_000, refreshAfterMs: 250, now: () => clock });
    const { app } = fx.startApi({ liveViews });

    const first = await get(app, videoId, 'alice');
    expect(first.headers.get('X-Status-Source')).toBe('workflow');
    expect(first.headers.get('X-Status-Age')).toBe('0');
    expect(first.headers.get('X-Status-Max-Age')).toBe('250');
    const seen = (await first.json()) as VideoView;
    expect(counted.calls).toBe(1);

    await fx.videos.sendEvent(ev.progress(videoId, 30));
    await eventually(async () => {
      const live = await fx.videos.liveStatus(videoId, 2_000);
      return live.kind === 'live' && live.view.progress === 30 ? true : undefined;
    });

    clock += 250; // at the bound: the answer is served again
    const reused = await get(app, videoId, 'alice');
    expect(reused.headers.get('X-Status-Source')).toBe('workflow');
    expect(reused.headers.get('X-Status-Age')).toBe('250');
    expect(reused.headers.get('X-Status-Max-Age')).toBe('250');
    expect(reused.headers.get('ETag')).toBe(first.headers.get('ETag'));
    expect(await reused.json()).toEqual(seen);
    expect(counted.calls).toBe(1);

    clock += 1; // past it: asked again
    const fresh = await get(app, videoId, 'alice');
    expect(fresh.headers.get('X-Status-Age')).toBe('0');
    expect(await fresh.json()).toMatchObject({ progress: 30, version: seen.version + 1 });
    expect(counted.calls).toBe(2);
  });

  it('keep finding a view within the bound: one served past 3/4 of it is refreshed in the background', async () => {
    const videoId = await inFlightVideo();
    const { counted, ask } = countedQueries();
    let clock = 10_000;
    const liveViews = createLiveViews(ask, { maxAgeMs: 250, timeoutMs: 1_000, now: () => clock });
    const { app } = fx.startApi({ liveViews });
    const seen = (await (await get(app, videoId, 'alice')).json()) as VideoView;
    await fx.videos.sendEvent(ev.progress(videoId, 40));
    await eventually(async () => {
      const live = await fx.videos.liveStatus(videoId, 2_000);
      return live.kind === 'live' && live.view.progress === 40 ? true : undefined;
    });

    clock += 200; // past 3/4 of the bound: served as it was, and refreshed
    const served = await get(app, videoId, 'alice');
    expect(served.headers.get('X-Status-Age')).toBe('200');
    expect(await served.json()).toEqual(seen);
    await eventually(() => (liveViews.recent(videoId)?.status.kind === 'live' && liveViews.recent(videoId)!.answeredAt === clock ? true : undefined));
    expect(counted.calls).toBe(2);

    const refreshed = await get(app, videoId, 'alice');
    expect(refreshed.headers.get('X-Status-Age')).toBe('0');
    expect(await refreshed.json()).toMatchObject({ progress: 40 });
    expect(counted.calls).toBe(2);
  });

  it("are never served a reused view of another user's video", async () => {
    const videoId = await inFlightVideo();
    const liveViews = createLiveViews(fx.videos.liveStatus, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const { app } = fx.startApi({ liveViews });
    expect((await get(app, videoId, 'alice')).status).toBe(200);
    expect(liveViews.recent(videoId)).toBeDefined();
    const theirs = await get(app, videoId, 'bob');
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('X-Status-Source')).toBeNull();
  });

  it("show this process's own changes at once: a registration, an operator's action", async () => {
    const videoId = await inFlightVideo();
    const liveViews = createLiveViews(fx.videos.liveStatus, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const { app } = fx.startApi({ liveViews });
    const call = (path: string, as: string, body: unknown) =>
      app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${fx.token(as)}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const before = (await (await get(app, videoId, 'alice')).json()) as VideoView;
    const registered = await call('/v1/videos', 'alice', { videoId, fileName: 'named-later.mp4' });
    expect(registered.status).toBe(200);
    const afterRegistration = (await (await get(app, videoId, 'alice')).json()) as VideoView;
    expect(afterRegistration.version).toBe(before.version + 1);

    const extended = await call(`/v1/videos/${videoId}/extend`, 'ops', { duration: '30m' });
    expect(extended.status).toBe(200);
    const afterAction = (await (await get(app, videoId, 'alice')).json()) as VideoView;
    expect(afterAction.version).toBe(afterRegistration.version + 1);
  });
});

describe('reads of a video whose workflow does not answer', () => {
  it('are not reused: the projection is read for each request, as old as its row and saying why', async () => {
    const { counted, ask } = countedQueries();
    const notAnswering: AskWorkflow = async (id, t) => {
      await ask(id, t);
      return { kind: 'unavailable', error: new Error('not answering') } satisfies LiveStatus;
    };
    const liveViews = createLiveViews(notAnswering, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const { app } = fx.startApi({ liveViews });
    const videoId = await inFlightVideo();
    const row = await findVideo(fx.h.orm.em.fork(), videoId);
    for (let i = 1; i <= 2; i++) {
      const before = Date.now();
      const res = await get(app, videoId, 'alice');
      const after = Date.now();
      expect(res.headers.get('X-Status-Source')).toBe('database');
      expect(res.headers.get('X-Status-Fallback')).toBe('unavailable');
      // Its age is the row's: since its last write (updatedAt), not since it was read.
      const age = Number(res.headers.get('X-Status-Age'));
      expect(age).toBeGreaterThanOrEqual(before - Date.parse(row!.updatedAt));
      expect(age).toBeLessThanOrEqual(after - Date.parse(row!.updatedAt));
      expect(res.headers.get('X-Status-Max-Age')).toBeNull();
      expect(counted.calls).toBe(i);
    }
  });
});

describe('the OpenAPI document', () => {
  it('declares the read headers on the 200 of GET /v1/videos/{videoId}', async () => {
    const { app } = fx.startApi();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, { get: { responses: Record<string, { headers?: Record<string, { schema: unknown }> }> } }>;
    };
    const headers = doc.paths['/v1/videos/{videoId}']!.get.responses['200']!.headers!;
    expect(Object.keys(headers)).toEqual(expect.arrayContaining(['X-Status-Source', 'X-Status-Age', 'X-Status-Max-Age', 'ETag']));
    expect(headers['X-Status-Age']!.schema).toMatchObject({ type: 'integer', minimum: 0 });
  });
});

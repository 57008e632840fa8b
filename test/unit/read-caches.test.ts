/**
 * What the API keeps in memory to read fast: the LRU bound, finished videos' final views (dropped
 * by the change feed), and workflow answers shared by concurrent reads and reused for a while.
 */
import { describe, expect, it } from '@jest/globals';
import { createFinalViews } from '../../src/api/lib/final-views.js';
import { createLiveViews } from '../../src/api/lib/live-views.js';
import { Lru } from '../../src/api/lib/lru.js';
import type { VideoChange, VideoChangeFeed } from '../../src/db/video-changes.js';
import { newVideo, toView, type VideoState } from '../../src/domain/video.js';
import type { LiveStatus } from '../../src/temporal/video-gateway.js';

const NOW = '2026-02-01T10:00:00.000Z';
const video = (videoId: string, patch: Partial<VideoState> = {}): VideoState => ({
  ...newVideo(videoId, NOW),
  userId: 'alice',
  status: 'completed',
  completedAt: NOW,
  version: 3,
  ...patch,
});

/** A change feed driven by the test: connected or not, changes and resyncs when told. */
function testFeed() {
  const listeners = new Set<{ change(change: VideoChange): void; resync(): void }>();
  let connected = true;
  const feed: VideoChangeFeed = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connected: () => connected,
    close: () => Promise.resolve(),
  };
  return {
    feed,
    change: (videoId: string, version = 4) => listeners.forEach((l) => l.change({ videoId, userId: 'alice', version, changeSeq: 1 })),
    resync: () => listeners.forEach((l) => l.resync()),
    setConnected: (value: boolean) => void (connected = value),
    listeners,
  };
}

/** A promise and its resolve, to hold a read or a query until the test lets it finish. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Lru', () => {
  it('keeps at most max entries, dropping the least recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
    expect(lru.size).toBe(2);
  });

  it('keeps nothing with max 0', () => {
    const lru = new Lru<string, number>(0);
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});

describe('final views', () => {
  it('keeps a final view once read, and serves it without reading again', async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    let reads = 0;
    const read = () => (reads++, Promise.resolve(video('v1')));
    const { stored, kept } = await views.load('v1', read);
    expect(stored?.version).toBe(3);
    expect(kept?.view).toMatchObject({ videoId: 'v1', status: 'completed', userId: 'alice', version: 3 });
    expect(views.get('v1')).toBe(kept);
    expect(reads).toBe(1);
  });

  it('keeps only the view, not what else the row holds', async () => {
    const views = createFinalViews(testFeed().feed, { max: 10 });
    const { kept } = await views.load('v1', () => Promise.resolve(video('v1', { fileName: 'secret.mp4', reprocessAttempts: 2 })));
    expect(kept?.view).not.toHaveProperty('fileName');
    expect(kept?.view).not.toHaveProperty('reprocessAttempts');
  });

  it.each([
    ['in flight', { status: 'processing' as const, completedAt: null }],
    ['finished without an owner (a late uploaded event still gives it one)', { userId: null }],
  ])('does not keep a view that is not final: %s', async (_name, patch) => {
    const views = createFinalViews(testFeed().feed, { max: 10 });
    const { stored, kept } = await views.load('v1', () => Promise.resolve(video('v1', patch)));
    expect(stored).not.toBeNull();
    expect(kept).toBeUndefined();
    expect(views.get('v1')).toBeUndefined();
  });

  it("drops a video's view when its row changes, and every view on a resync", async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    await views.load('v1', () => Promise.resolve(video('v1')));
    await views.load('v2', () => Promise.resolve(video('v2')));
    f.change('v1');
    expect(views.get('v1')).toBeUndefined();
    expect(views.get('v2')).toBeDefined();
    f.resync();
    expect(views.get('v2')).toBeUndefined();
    expect(views.size()).toBe(0);
  });

  it("keeps a video in flight's row (for fallbacks), never as a final view, dropped like one", async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    const inFlight = video('v1', { status: 'processing', completedAt: null });
    const { kept } = await views.load('v1', () => Promise.resolve(inFlight));
    expect(kept).toBeUndefined();
    expect(views.get('v1')).toBeUndefined();
    expect(views.row('v1')).toEqual(inFlight);
    f.change('v1');
    expect(views.row('v1')).toBeUndefined();
    await views.load('v1', () => Promise.resolve(inFlight));
    f.setConnected(false);
    expect(views.row('v1')).toBeUndefined(); // changes may be missed meanwhile
    f.setConnected(true);
    f.resync();
    expect(views.row('v1')).toBeUndefined();
    // Once finished, its final view is kept and its row is not.
    await views.load('v1', () => Promise.resolve(inFlight));
    await views.load('v1', () => Promise.resolve(video('v1')));
    expect(views.row('v1')).toBeUndefined();
    expect(views.get('v1')?.view.status).toBe('completed');
  });

  it('keeps nothing from a read its video changed during (the read may have seen the row before the change)', async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    const row = deferred<VideoState>();
    const loading = views.load('v1', () => row.promise);
    f.change('v1', 4);
    row.resolve(video('v1', { version: 3 }));
    expect((await loading).kept).toBeUndefined();
    expect(views.get('v1')).toBeUndefined();
    // Another video's change does not spoil the read.
    const other = deferred<VideoState>();
    const loadingOther = views.load('v2', () => other.promise);
    f.change('v1', 5);
    other.resolve(video('v2'));
    expect((await loadingOther).kept).toBeDefined();
  });

  it('keeps nothing from a read during which the feed resynced', async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    const row = deferred<VideoState>();
    const loading = views.load('v1', () => row.promise);
    f.resync();
    row.resolve(video('v1'));
    expect((await loading).kept).toBeUndefined();
  });

  it('neither serves nor keeps while the feed is not listening (changes would be missed)', async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 10 });
    await views.load('v1', () => Promise.resolve(video('v1')));
    f.setConnected(false);
    expect(views.get('v1')).toBeUndefined();
    expect((await views.load('v2', () => Promise.resolve(video('v2')))).kept).toBeUndefined();
    const row = deferred<VideoState>();
    const loading = views.load('v3', () => row.promise);
    f.setConnected(true);
    row.resolve(video('v3'));
    expect((await loading).kept).toBeUndefined();
  });

  it('keeps at most max views, the most recently read', async () => {
    const views = createFinalViews(testFeed().feed, { max: 2 });
    for (const id of ['v1', 'v2']) await views.load(id, () => Promise.resolve(video(id)));
    views.get('v1');
    await views.load('v3', () => Promise.resolve(video('v3')));
    expect(views.size()).toBe(2);
    expect(views.get('v2')).toBeUndefined();
    expect(views.get('v1')).toBeDefined();
  });

  it('with max 0 keeps nothing and does not follow the feed', async () => {
    const f = testFeed();
    const views = createFinalViews(f.feed, { max: 0 });
    expect(f.listeners.size).toBe(0);
    expect((await views.load('v1', () => Promise.resolve(video('v1')))).kept).toBeUndefined();
    expect(views.get('v1')).toBeUndefined();
  });

  it('a read that fails leaves nothing behind (its error is the caller\'s)', async () => {
    const views = createFinalViews(testFeed().feed, { max: 10 });
    await expect(views.load('v1', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect((await views.load('v1', () => Promise.resolve(video('v1')))).kept).toBeDefined();
  });
});

describe('live views', () => {
  const live = (videoId: string, version = 1): LiveStatus => ({ kind: 'live', view: { ...video(videoId, { status: 'processing', completedAt: null }), version } });

  /** A workflow whose queries the test answers, counting them. */
  function testWorkflow() {
    const pending: Array<{ videoId: string; answer: (status: LiveStatus) => void }> = [];
    const ask = (videoId: string) => {
      const d = deferred<LiveStatus>();
      pending.push({ videoId, answer: d.resolve });
      return d.promise;
    };
    return { ask, pending };
  }

  it('concurrent reads of one video share one query', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000 });
    const reads = Array.from({ length: 5 }, () => views.ask('v1'));
    const other = views.ask('v2');
    expect(w.pending.map((p) => p.videoId)).toEqual(['v1', 'v2']);
    w.pending[0]!.answer(live('v1'));
    w.pending[1]!.answer(live('v2'));
    const answers = await Promise.all(reads);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]!.status).toEqual(live('v1'));
    expect((await other).status).toEqual(live('v2'));
    expect(views.stats()).toEqual({ queries: 2, joined: 4, reused: 0, refreshed: 0, busy: 0 });
  });

  it('underWay: the query a read may join, only while it is under way', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000 });
    expect(views.underWay('v1')).toBeUndefined();
    const asked = views.ask('v1');
    const joined = views.underWay('v1');
    expect(joined).toBe(asked);
    w.pending[0]!.answer(live('v1'));
    await asked;
    expect(views.underWay('v1')).toBeUndefined();
    expect(views.stats()).toEqual({ queries: 1, joined: 1, reused: 0, refreshed: 0, busy: 0 });
  });

  it('has at most maxConcurrent queries under way: past it a read is answered "busy" at once, without asking, but may still join', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000, maxConcurrent: 2 });
    const [a, b] = [views.ask('v1'), views.ask('v2')];
    expect(views.inFlight()).toBe(2);
    const busy = await views.ask('v3');
    expect(busy.status).toEqual({ kind: 'busy' });
    expect(w.pending.map((p) => p.videoId)).toEqual(['v1', 'v2']);
    // A read of a video whose query is under way joins it, bound or not.
    expect(views.ask('v1')).toBe(a);
    // A busy answer is not kept nor shared: once a slot is free, the video is asked.
    w.pending[0]!.answer(live('v1'));
    await a;
    expect(views.inFlight()).toBe(1);
    const asked = views.ask('v3');
    expect(w.pending.map((p) => p.videoId)).toEqual(['v1', 'v2', 'v3']);
    w.pending[1]!.answer(live('v2'));
    w.pending[2]!.answer(live('v3'));
    expect((await asked).status).toEqual(live('v3'));
    await b;
    expect(views.inFlight()).toBe(0);
    expect(views.stats()).toEqual({ queries: 3, joined: 1, reused: 0, refreshed: 0, busy: 1 });
  });

  it('a read that may wait for a slot gets one when a query ends, else "busy" once its wait is over', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000, maxConcurrent: 1 });
    const a = views.ask('v1');
    const waiting = views.ask('v2', 5_000);
    const late = views.ask('v3', 1);
    expect((await late).status).toEqual({ kind: 'busy' });
    expect(w.pending.map((p) => p.videoId)).toEqual(['v1']);
    w.pending[0]!.answer(live('v1'));
    await a;
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.pending.map((p) => p.videoId)).toEqual(['v1', 'v2']);
    w.pending[1]!.answer(live('v2'));
    expect((await waiting).status).toEqual(live('v2'));
    expect(views.stats()).toMatchObject({ queries: 2, busy: 1 });
  });

  it('frees a slot when a query fails, and skips a background refresh while the bound is reached', async () => {
    let clock = 0;
    const pending: Array<{ videoId: string; settle: (status: LiveStatus | Error) => void }> = [];
    const ask = (videoId: string) =>
      new Promise<LiveStatus>((resolve, reject) => pending.push({ videoId, settle: (s) => (s instanceof Error ? reject(s) : resolve(s)) }));
    const views = createLiveViews(ask, { maxAgeMs: 100, timeoutMs: 1_000, maxConcurrent: 1, now: () => clock });
    const first = views.ask('v1');
    pending[0]!.settle(live('v1'));
    await first;
    const failing = views.ask('v2');
    pending[1]!.settle(new Error('down'));
    expect((await failing).status.kind).toBe('unavailable');
    expect(views.inFlight()).toBe(0);

    const holding = views.ask('v3'); // the one slot, taken
    clock = 90; // v1's view is past 3/4 of the bound: due for a refresh, but no slot
    expect(views.recent('v1')?.status).toEqual(live('v1'));
    expect(pending.map((p) => p.videoId)).toEqual(['v1', 'v2', 'v3']);
    pending[2]!.settle(live('v3'));
    await holding;
    expect(views.recent('v1')?.status).toEqual(live('v1')); // a slot is free: refreshed now
    expect(pending.map((p) => p.videoId)).toEqual(['v1', 'v2', 'v3', 'v1']);
    expect(views.stats()).toMatchObject({ refreshed: 1, busy: 1 });
  });

  it('waits for a workflow at most patienceMs, never longer than the query timeout', () => {
    const w = testWorkflow();
    expect(createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000, patienceMs: 200 }).patienceMs).toBe(200);
    expect(createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000, patienceMs: 5_000 }).patienceMs).toBe(1_000);
    expect(createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000 }).patienceMs).toBe(1_000);
  });

  it('with maxAgeMs 0, a read after an answer asks again', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000 });
    const first = views.ask('v1');
    w.pending[0]!.answer(live('v1', 1));
    await first;
    expect(views.recent('v1')).toBeUndefined();
    const second = views.ask('v1');
    expect(w.pending).toHaveLength(2);
    w.pending[1]!.answer(live('v1', 2));
    expect((await second).status).toEqual(live('v1', 2));
  });

  it('serves a live view again for at most maxAgeMs after the workflow answered', async () => {
    const w = testWorkflow();
    let clock = 1_000;
    const views = createLiveViews(w.ask, { maxAgeMs: 250, timeoutMs: 1_000, refreshAfterMs: 250, now: () => clock });
    const first = views.ask('v1');
    clock = 1_100;
    w.pending[0]!.answer(live('v1', 1));
    expect((await first).answeredAt).toBe(1_100);
    clock = 1_350; // 250 ms after the answer: still served
    expect(views.recent('v1')?.status).toEqual(live('v1', 1));
    expect((await views.ask('v1')).status).toEqual(live('v1', 1));
    expect(w.pending).toHaveLength(1);
    clock = 1_351; // past the bound: asked again
    expect(views.recent('v1')).toBeUndefined();
    const again = views.ask('v1');
    expect(w.pending).toHaveLength(2);
    w.pending[1]!.answer(live('v1', 2));
    expect((await again).status).toEqual(live('v1', 2));
    expect(views.stats()).toEqual({ queries: 2, joined: 0, reused: 2, refreshed: 0, busy: 0 });
  });

  it('refreshes a live view served past 3/4 of maxAgeMs in the background, once, and serves the old one meanwhile', async () => {
    const w = testWorkflow();
    let clock = 0;
    const views = createLiveViews(w.ask, { maxAgeMs: 200, timeoutMs: 1_000, now: () => clock });
    const first = views.ask('v1');
    w.pending[0]!.answer(live('v1', 1));
    await first;
    clock = 150; // 3/4 of the bound: not yet
    expect(views.recent('v1')?.status).toEqual(live('v1', 1));
    expect(w.pending).toHaveLength(1);
    clock = 151; // past it: served, and one query in the background
    expect(views.recent('v1')?.status).toEqual(live('v1', 1));
    expect(w.pending).toHaveLength(2);
    expect((await views.ask('v1')).status).toEqual(live('v1', 1));
    expect(w.pending).toHaveLength(2); // not twice while it is under way
    clock = 180;
    w.pending[1]!.answer(live('v1', 2));
    await views.underWay('v1');
    expect(views.recent('v1')).toMatchObject({ status: live('v1', 2), answeredAt: 180 });
    expect(views.stats()).toMatchObject({ queries: 2, refreshed: 1 });
  });

  it('a video read once is never refreshed, and a bound of 0 never reuses nor refreshes', async () => {
    const w = testWorkflow();
    let clock = 0;
    const views = createLiveViews(w.ask, { maxAgeMs: 200, timeoutMs: 1_000, now: () => clock });
    const first = views.ask('v1');
    w.pending[0]!.answer(live('v1', 1));
    await first;
    clock = 10_000;
    expect(w.pending).toHaveLength(1);
    const off = createLiveViews(w.ask, { maxAgeMs: 0, timeoutMs: 1_000, now: () => clock });
    const read = off.ask('v2');
    w.pending[1]!.answer(live('v2'));
    await read;
    expect(off.recent('v2')).toBeUndefined();
    expect(off.stats()).toMatchObject({ queries: 1, refreshed: 0, busy: 0 });
  });

  it('reuses only live views: not found, closed and not answering are asked again', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    for (const status of [{ kind: 'not-found' }, { kind: 'closed' }, { kind: 'unavailable', error: new Error('x') }] as LiveStatus[]) {
      const read = views.ask('v1');
      w.pending.at(-1)!.answer(status);
      expect((await read).status).toBe(status);
      expect(views.recent('v1')).toBeUndefined();
    }
    expect(views.stats().queries).toBe(3);
  });

  it('does not keep a final view (finished and owned): a finished video is read from Postgres, not asked again and again', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const finished: LiveStatus = { kind: 'live', view: toView(video('v1')) };
    const read = views.ask('v1');
    w.pending[0]!.answer(finished);
    expect((await read).status).toBe(finished);
    expect(views.recent('v1')).toBeUndefined();
    // Finished but unowned can still change (a late uploaded names the owner): not kept either, so
    // that the owner's reads do not get a 404 from it after the event that names them.
    const unowned: LiveStatus = { kind: 'live', view: toView(video('v2', { userId: null })) };
    const second = views.ask('v2');
    w.pending[1]!.answer(unowned);
    expect((await second).status).toBe(unowned);
    expect(views.recent('v2')).toBeUndefined();
  });

  it('keeps a view in flight that has its owner', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const inFlight: LiveStatus = { kind: 'live', view: toView(video('v3', { status: 'processing', completedAt: null })) };
    const read = views.ask('v3');
    w.pending[0]!.answer(inFlight);
    await read;
    expect(views.recent('v3')?.status).toBe(inFlight);
  });

  it('a query that throws is an unavailable answer, and is not kept', async () => {
    let calls = 0;
    const views = createLiveViews(
      () => {
        calls++;
        throw new Error('boom');
      },
      { maxAgeMs: 60_000, timeoutMs: 1_000 },
    );
    expect((await views.ask('v1')).status.kind).toBe('unavailable');
    expect((await views.ask('v1')).status.kind).toBe('unavailable');
    expect(calls).toBe(2);
  });

  it('forget: the next read asks again, even while a query is under way (its answer is not kept)', async () => {
    const w = testWorkflow();
    const views = createLiveViews(w.ask, { maxAgeMs: 60_000, timeoutMs: 1_000 });
    const before = views.ask('v1');
    views.forget('v1'); // say, the video was registered meanwhile
    const after = views.ask('v1');
    expect(w.pending).toHaveLength(2);
    w.pending[0]!.answer(live('v1', 1));
    w.pending[1]!.answer(live('v1', 2));
    expect((await before).status).toEqual(live('v1', 1));
    expect((await after).status).toEqual(live('v1', 2));
    expect(views.recent('v1')?.status).toEqual(live('v1', 2));
  });

  it('keeps the answers of at most max videos', async () => {
    const views = createLiveViews((videoId) => Promise.resolve(live(videoId)), { maxAgeMs: 60_000, timeoutMs: 1_000, max: 2 });
    for (const id of ['v1', 'v2', 'v3']) await views.ask(id);
    expect(views.recent('v1')).toBeUndefined();
    expect(views.recent('v3')).toBeDefined();
  });
});

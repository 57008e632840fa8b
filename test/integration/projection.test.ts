/** The Postgres projection: idempotent, never backwards, and how its errors are classified. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/db/config.js';
import { connectDatabase, type Orm } from '../../src/db/index.js';
import { isDataRefused, isDatabaseUnavailable } from '../../src/db/errors.js';
import { createProjectionStore, findHistory, findVideo, saveVideo } from '../../src/db/video-store.js';
import { applyEvent, newTracker, newVideo, type TrackerState } from '../../src/domain/video.js';
import { LIMITS } from '../../src/domain/events.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { registrationEvent } from '../../src/domain/registration.js';
import { ev, uniqueId } from '../support/events.js';
import { testConfig } from '../support/env.js';

let orm: Orm;
beforeAll(async () => {
  orm = await connectDatabase(testConfig().DATABASE_URL);
});
afterAll(async () => {
  await orm?.close(true);
});

const NOW = '2026-03-01T00:00:00.000Z';
const steps = (videoId: string, events: VideoEvent[]) => {
  const states: TrackerState[] = [];
  const records = [];
  let s = newTracker(newVideo(videoId, NOW));
  for (const e of events) {
    const r = applyEvent(s, e, NOW);
    s = r.state;
    states.push(s);
    records.push(r.record);
  }
  return { states, records };
};

describe('saveVideo', () => {
  it('never moves a video backwards: an older version is not written over a newer one', async () => {
    const id = uniqueId();
    const { states, records } = steps(id, [ev.uploaded(id, 'u'), ev.started(id), ev.completed(id)]);
    expect(await saveVideo(orm.em.fork(), states[2]!.video, records)).toBe(true);
    // A retried or late write of an earlier state (version 2, processing) arrives after.
    expect(await saveVideo(orm.em.fork(), states[1]!.video, records.slice(0, 2))).toBe(false);
    expect(await findVideo(orm.em.fork(), id)).toMatchObject({ status: 'completed', version: 3 });
    // The same write again is harmless too.
    expect(await saveVideo(orm.em.fork(), states[2]!.video, records)).toBe(false);
    expect(await findHistory(orm.em.fork(), id)).toHaveLength(3);
  });

  it('stores the longest values the edge lets in, a registration by the longest owner id included', async () => {
    const id = uniqueId().padEnd(LIMITS.videoId, 'x');
    const owner = 'u'.repeat(LIMITS.userId);
    const uploaded = { ...ev.uploaded(id, owner, 'f'.repeat(LIMITS.fileName)), id: 'e'.repeat(LIMITS.eventId), source: 's'.repeat(LIMITS.source) };
    const { states, records } = steps(id, [registrationEvent(id, owner, undefined, NOW), uploaded]);
    expect(await saveVideo(orm.em.fork(), states[1]!.video, records)).toBe(true);
    expect(await findHistory(orm.em.fork(), id)).toEqual(records);
    expect(await findVideo(orm.em.fork(), id)).toEqual(states[1]!.video);
  });

  it('classifies what Postgres refuses as refused, and a dead server as unavailable', async () => {
    const id = uniqueId();
    const video = { ...newVideo(id, NOW), frameCount: 2 ** 31, version: 1 };
    const refused = await saveVideo(orm.em.fork(), video, []).catch((err: unknown) => err);
    expect(isDataRefused(refused)).toBe(true);
    expect(isDatabaseUnavailable(refused)).toBe(false);

    const nowhere = await connectDatabase('postgres://postgres@127.0.0.1:1/vidproc');
    try {
      const down = await findVideo(nowhere.em.fork(), id).catch((err: unknown) => err);
      expect(isDatabaseUnavailable(down)).toBe(true);
      expect(isDataRefused(down)).toBe(false);
    } finally {
      await nowhere.close(true);
    }
  });

  it('a query that waits past poolWaitMs for a free connection fails as Postgres unavailable (the API answers 503)', async () => {
    const small = await MikroORM.init(ormConfig(testConfig().DATABASE_URL, { pool: { min: 0, max: 1 } }, { poolWaitMs: 200 }));
    try {
      // The one connection is held by a transaction; a read outside it has none to take.
      const failed = await small.em.transactional(async () => findVideo(small.em.fork(), uniqueId()).then(() => null, (err: unknown) => err));
      expect(failed).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(failed)).toBe(true);
    } finally {
      await small.close(true);
    }
  });
});

describe('a run that loads what it wrote itself', () => {
  // A run's first workflow task, retried after its local activities wrote (a worker killed or
  // overloaded mid-task), loads the video again: it must get what the run started from.
  const store = () => createProjectionStore(orm);

  it('a new video: the run that wrote it loads nothing; another run loads the row', async () => {
    const id = uniqueId();
    const { states, records } = steps(id, [ev.uploaded(id, 'u'), ev.started(id), ev.completed(id)]);
    await store().save(states[2]!.video, records, { runId: 'run-a', base: null });

    expect(await store().load(id, 'run-a')).toBeNull();
    const later = await store().load(id, 'run-b');
    expect(later?.video).toMatchObject({ status: 'completed', version: 3 });
    expect(later?.seenEventIds).toEqual(records.map((r) => r.eventId));
    expect((await store().load(id))?.video.version).toBe(3);
  });

  it('a stored video: the run that wrote on top of it loads it as it was, with the event ids it had', async () => {
    const id = uniqueId();
    const { states, records } = steps(id, [ev.uploaded(id, 'u'), ev.started(id), ev.progress(id, 40), ev.completed(id)]);
    await store().save(states[1]!.video, records.slice(0, 2), { runId: 'run-a', base: null });
    const base = (await store().load(id, 'run-b'))!;
    await store().save(states[3]!.video, records.slice(2), { runId: 'run-b', base: base.video });
    // Written again by the same run (a later task): still what it started from.
    await store().save(states[3]!.video, [], { runId: 'run-b', base: base.video });

    const again = await store().load(id, 'run-b');
    expect(again).toEqual({ video: base.video, seenEventIds: records.slice(0, 2).map((r) => r.eventId) });
    expect(again?.video).toMatchObject({ status: 'processing', version: 2 });
    expect((await store().load(id, 'run-c'))?.video).toMatchObject({ status: 'completed', version: 4 });
  });

  it("a run's task run again after a lost attempt replaces the lines that attempt wrote, and touches nothing before the run", async () => {
    const id = uniqueId();
    // Stored before the run: uploaded (version 1).
    const before = steps(id, [ev.uploaded(id, 'u')]);
    await store().save(before.states[0]!.video, before.records, { runId: 'run-0', base: null });
    const base = (await store().load(id, 'run-a'))!;
    const from = { video: base.video, seenEventIds: base.seenEventIds };
    const run = (events: VideoEvent[]) => {
      const records: ReturnType<typeof applyEvent>['record'][] = [];
      let state: TrackerState = from;
      for (const e of events) {
        const r = applyEvent(state, e, NOW);
        state = r.state;
        records.push(r.record);
      }
      return { video: state.video, records };
    };
    // The lost attempt saw progress then started; the task run again saw started first, then the rest.
    const progress = ev.progress(id, 30);
    const started = ev.started(id);
    const lost = run([progress, started]);
    await store().save(lost.video, lost.records, { runId: 'run-a', base: base.video });
    const again = run([started, progress, ev.completed(id)]);
    await store().save(again.video, again.records, { runId: 'run-a', base: base.video });

    expect(await findHistory(orm.em.fork(), id)).toEqual([...before.records, ...again.records]);
    expect(await findVideo(orm.em.fork(), id)).toEqual(again.video);
    // Another run's write of the same positions leaves them alone (it is not that run's).
    const other = run([ev.failed(id, 'E', 'x')]);
    await store().save(other.video, other.records, { runId: 'run-b', base: base.video });
    expect(await findHistory(orm.em.fork(), id)).toEqual([...before.records, ...again.records]);
  });

  it("runs' writes by the dozen at once (more than the pool's ten connections) all complete: each holds one connection", async () => {
    // A statement of the write that left its transaction took a second pooled connection: forty
    // writes at once held all ten and waited for an eleventh (the alert storm test stood still).
    const videos = Array.from({ length: 40 }, () => {
      const id = uniqueId();
      return { id, ...steps(id, [ev.uploaded(id, 'u'), ev.started(id)]) };
    });
    const saved = await Promise.all(videos.map((v) => store().save(v.states[1]!.video, v.records, { runId: `run-${v.id}`, base: null })));
    expect(saved).toEqual(videos.map(() => true));
    for (const v of videos.slice(0, 3)) expect(await findHistory(orm.em.fork(), v.id)).toEqual(v.records);
  }, 30_000);

  it('a continued run (which loads nothing) clears the mark: every later run loads the row', async () => {
    const id = uniqueId();
    const { states, records } = steps(id, [ev.uploaded(id, 'u'), ev.started(id)]);
    await store().save(states[0]!.video, records.slice(0, 1), { runId: 'run-a', base: null });
    await store().save(states[1]!.video, records.slice(1));
    expect((await store().load(id, 'run-a'))?.video).toMatchObject({ status: 'processing', version: 2 });
  });
});

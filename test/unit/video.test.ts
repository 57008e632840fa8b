import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  answeredView,
  applyEvent,
  canRead,
  canTransition,
  isFinalView,
  isTerminal,
  LATE_EVENT_FIELDS,
  MAX_REMEMBERED_EVENT_IDS,
  newTracker,
  newVideo,
  registrationRefusal,
  toView,
  VIDEO_STATUSES,
  type TrackerState,
  type VideoStatus,
} from '../../src/domain/video.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { ev } from '../support/events.js';

const NOW = '2026-02-01T10:00:00.000Z';
const fresh = (id = 'v1') => newTracker(newVideo(id, NOW));
const run = (events: VideoEvent[], state: TrackerState = fresh()) =>
  events.reduce((s, e) => applyEvent(s, e, NOW).state, state);

describe('canTransition', () => {
  const allowed: Array<[VideoStatus, VideoStatus]> = [
    ['uploaded', 'processing'],
    ['uploaded', 'completed'],
    ['uploaded', 'failed'],
    ['processing', 'completed'],
    ['processing', 'failed'],
  ];
  it.each(VIDEO_STATUSES.flatMap((from) => VIDEO_STATUSES.map((to) => [from, to] as const)))(
    '%s -> %s',
    (from, to) => {
      const expected = allowed.some(([f, t]) => f === from && t === to);
      expect(canTransition(from, to)).toBe(expected);
    },
  );
  it('knows the terminal states', () => {
    expect(VIDEO_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed']);
  });
});

describe('applyEvent', () => {
  it('follows the happy path uploaded -> processing -> completed', () => {
    const id = 'v1';
    let s = fresh(id);
    const steps: Array<[VideoEvent, VideoStatus, number | null]> = [
      [ev.uploaded(id, 'alice', 'a.mp4'), 'uploaded', null],
      [ev.started(id), 'processing', 0],
      [ev.progress(id, 40), 'processing', 40],
      [ev.completed(id, 'https://cdn.example.com/v1.zip', 120), 'completed', 100],
    ];
    for (const [event, status, progress] of steps) {
      const r = applyEvent(s, event, NOW);
      expect(r.outcome.applied).toBe(true);
      expect(r.state.video.status).toBe(status);
      expect(r.state.video.progress).toBe(progress);
      s = r.state;
    }
    expect(s.video).toMatchObject({
      userId: 'alice',
      fileName: 'a.mp4',
      imagesUrl: 'https://cdn.example.com/v1.zip',
      frameCount: 120,
      version: 4,
    });
    expect(s.video.completedAt).not.toBeNull();
  });

  it('records failure with its error and keeps progress', () => {
    const s = run([ev.started('v1'), ev.progress('v1', 30), ev.failed('v1', 'E_CODEC', 'bad codec')]);
    expect(s.video).toMatchObject({ status: 'failed', progress: 30, error: { code: 'E_CODEC', message: 'bad codec' } });
  });

  it('ignores a late processing.started after completion, and says why', () => {
    const s = run([ev.started('v1'), ev.completed('v1')]);
    const r = applyEvent(s, ev.started('v1'), NOW);
    expect(r.outcome).toMatchObject({ applied: false, reason: 'video is already completed' });
    expect(r.state.video.status).toBe('completed');
    expect(r.record).toMatchObject({ applied: false, reason: 'video is already completed', seq: 3 });
  });

  it('ignores a duplicate event id even when it would otherwise apply', () => {
    const progress = ev.progress('v1', 10);
    const s = run([ev.started('v1'), progress]);
    const again = { ...progress, data: { percent: 90 } } as VideoEvent;
    const r = applyEvent(s, again, NOW);
    expect(r.outcome).toMatchObject({ applied: false, reason: 'duplicate event id' });
    expect(r.state.video.progress).toBe(10);
  });

  it('never moves progress back', () => {
    const s = run([ev.started('v1'), ev.progress('v1', 60)]);
    const r = applyEvent(s, ev.progress('v1', 20), NOW);
    expect(r.outcome).toMatchObject({ applied: false, reason: 'progress never goes back' });
    expect(r.state.video.progress).toBe(60);
  });

  it('treats progress before processing.started as the start of processing', () => {
    const r = applyEvent(fresh(), ev.progress('v1', 15), NOW);
    expect(r.outcome.kind).toBe('status');
    expect(r.state.video).toMatchObject({ status: 'processing', progress: 15 });
  });

  it('batches plain progress but not status changes', () => {
    const s = run([ev.started('v1')]);
    expect(applyEvent(s, ev.progress('v1', 5), NOW).outcome.kind).toBe('progress');
    expect(applyEvent(s, ev.completed('v1'), NOW).outcome.kind).toBe('status');
    expect(applyEvent(fresh(), ev.uploaded('v1', 'u'), NOW).outcome.kind).toBe('metadata');
  });

  it('keeps metadata from an uploaded event that arrives after the video finished', () => {
    const s = run([ev.started('v1'), ev.completed('v1')]);
    const r = applyEvent(s, ev.uploaded('v1', 'bob', 'late.mp4'), NOW);
    expect(r.outcome.applied).toBe(true);
    expect(r.state.video).toMatchObject({ status: 'completed', userId: 'bob', fileName: 'late.mp4' });
  });

  it('never changes the owner once set', () => {
    const s = run([ev.uploaded('v1', 'alice')]);
    const r = applyEvent(s, ev.uploaded('v1', 'mallory', 'x.mp4'), NOW);
    expect(r.state.video.userId).toBe('alice');
    expect(r.state.video.fileName).toBe('x.mp4');
  });

  it('bumps updatedAt only when something applied', () => {
    const s = run([ev.started('v1'), ev.completed('v1')]);
    const later = '2026-02-02T00:00:00.000Z';
    expect(applyEvent(s, ev.started('v1'), later).state.video.updatedAt).toBe(NOW);
    expect(applyEvent(fresh(), ev.started('v1'), later).state.video.updatedAt).toBe(later);
  });

  it('remembers a bounded number of event ids', () => {
    let s = run([ev.started('v1')]);
    for (let i = 0; i < MAX_REMEMBERED_EVENT_IDS + 10; i++) s = applyEvent(s, ev.progress('v1', 50), NOW).state;
    expect(s.seenEventIds).toHaveLength(MAX_REMEMBERED_EVENT_IDS);
  });

  it('does not mutate its input', () => {
    const s = fresh();
    const copy = structuredClone(s);
    applyEvent(s, ev.completed('v1'), NOW);
    expect(s).toEqual(copy);
  });
});

describe('properties', () => {
  const rank: Record<VideoStatus, number> = { uploaded: 0, processing: 1, completed: 2, failed: 2 };
  const eventArb = fc.oneof(
    fc.constant((id: string) => ev.started(id)),
    fc.integer({ min: 0, max: 100 }).map((p) => (id: string) => ev.progress(id, p)),
    fc.constant((id: string) => ev.completed(id)),
    fc.constant((id: string) => ev.failed(id)),
    fc.constantFrom('alice', 'bob').map((u) => (id: string) => ev.uploaded(id, u)),
  );
  // A stream with duplicates: each generated event may be delivered several times.
  const streamArb = fc.array(fc.tuple(eventArb, fc.integer({ min: 1, max: 3 })), { maxLength: 40 });

  it('status and progress never go back, terminal states never change, duplicates change nothing', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        let s = fresh();
        for (const [make, times] of stream) {
          const event = make('v1');
          for (let i = 0; i < times; i++) {
            const before = s.video;
            const r = applyEvent(s, event, NOW);
            const after = r.state.video;
            expect(rank[after.status]).toBeGreaterThanOrEqual(rank[before.status]);
            if (before.progress !== null) expect(after.progress ?? -1).toBeGreaterThanOrEqual(before.progress);
            if (isTerminal(before.status)) {
              expect(after.status).toBe(before.status);
              expect(after.imagesUrl).toBe(before.imagesUrl);
              expect(after.error).toEqual(before.error);
            }
            if (i > 0) expect(r.outcome.applied).toBe(false);
            expect(after.version).toBe(before.version + 1);
            s = r.state;
          }
        }
      }),
    );
  });

  it('redelivered events change nothing: the result is that of the first deliveries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(eventArb, fc.array(fc.nat(), { maxLength: 3 })), { maxLength: 20 }),
        (plan) => {
          const firsts: VideoEvent[] = [];
          const delivered: VideoEvent[] = [];
          for (const [make, redeliveries] of plan) {
            const event = make('v1');
            firsts.push(event);
            delivered.push(event);
            // Redeliver some events already seen, in any order.
            for (const pick of redeliveries) delivered.push(firsts[pick % firsts.length]!);
          }
          // The version counts history lines (duplicates are recorded as ignored); the rest is the same.
          const { version: _seen, ...after } = toView(run(delivered).video);
          const { version: _first, ...expected } = toView(run(firsts).video);
          expect(after).toEqual(expected);
        },
      ),
    );
  });
});

describe('isFinalView', () => {
  it('is a finished video with its owner', () => {
    const owned = run([ev.uploaded('v1', 'alice'), ev.completed('v1')]).video;
    expect(isFinalView(owned)).toBe(true);
    expect(isFinalView(run([ev.uploaded('v1', 'alice'), ev.failed('v1')]).video)).toBe(true);
    expect(isFinalView(run([ev.uploaded('v1', 'alice'), ev.started('v1')]).video)).toBe(false);
  });

  it('is not a finished video without an owner: a late uploaded event still gives it one', () => {
    const ownerless = run([ev.started('v1'), ev.completed('v1')]).video;
    expect(isFinalView(ownerless)).toBe(false);
    const claimed = run([ev.uploaded('v1', 'alice')], newTracker(ownerless)).video;
    expect(claimed.userId).toBe('alice');
    expect(isFinalView(claimed)).toBe(true);
  });

  it('a late event changes only its bookkeeping (version, updatedAt), even one that fills in the file name', () => {
    const done = run([ev.uploaded('v1', 'alice'), ev.completed('v1')]);
    const late = run([ev.uploaded('v1', 'alice', 'late.mp4')], done).video;
    expect(late.fileName).toBe('late.mp4');
    expect(late.version).toBe(done.video.version + 1);
    const LATER = '2026-02-01T11:00:00.000Z';
    const ignored = applyEvent(done, ev.progress('v1', 50), LATER).state.video;
    expect(ignored.version).toBe(done.video.version + 1);
  });

  it('property: once a view is final, every later view differs from it only in LATE_EVENT_FIELDS', () => {
    const eventArb = fc.oneof(
      fc.constant((id: string) => ev.started(id)),
      fc.integer({ min: 0, max: 100 }).map((p) => (id: string) => ev.progress(id, p)),
      fc.constant((id: string) => ev.completed(id)),
      fc.constant((id: string) => ev.failed(id)),
      fc.constantFrom('alice', 'bob').map((u) => (id: string) => ev.uploaded(id, u)),
      fc.constantFrom('alice', 'bob').map((u) => (id: string) => ev.uploaded(id, u, `${u}.mp4`)),
    );
    const content = (view: ReturnType<typeof toView>) => {
      const copy: Record<string, unknown> = { ...view };
      for (const field of LATE_EVENT_FIELDS) delete copy[field];
      return copy;
    };
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 30, maxLength: 30 }), (stream, gaps) => {
        let s = fresh();
        let final: ReturnType<typeof toView> | undefined;
        let t = Date.parse(NOW);
        for (const [i, make] of stream.entries()) {
          t += gaps[i]!;
          s = applyEvent(s, make('v1'), new Date(t).toISOString()).state;
          const view = toView(s.video);
          if (final) expect(content(view)).toEqual(content(final));
          else if (isFinalView(view)) final = view;
          if (final) expect(isFinalView(view)).toBe(true);
        }
      }),
    );
  });
});

describe('ownership and reading', () => {
  it('lets the first owner register, again and again, and nobody else', () => {
    const owned = { ...newVideo('v1', NOW), userId: 'alice', version: 1 };
    expect(registrationRefusal(owned, 'alice')).toBeNull();
    expect(registrationRefusal(owned, 'bob')).toMatch(/another user/);
    expect(registrationRefusal(newVideo('v1', NOW), 'bob')).toBeNull();
  });
  it('does not let anyone claim a video the processing service knows without an owner', () => {
    const known = run([ev.started('v1')]).video;
    expect(known.userId).toBeNull();
    expect(registrationRefusal(known, 'mallory')).toMatch(/already known/);
  });
  it('lets owners and operators read', () => {
    expect(canRead({ userId: 'alice', operator: false }, { userId: 'alice' })).toBe(true);
    expect(canRead({ userId: 'bob', operator: false }, { userId: 'alice' })).toBe(false);
    expect(canRead({ userId: 'bob', operator: false }, { userId: null })).toBe(false);
    expect(canRead({ userId: 'ops', operator: true }, { userId: 'alice' })).toBe(true);
  });
});

describe('answeredView: what a workflow answers for its video', () => {
  const id = 'v-answer';
  const processing = run([ev.uploaded(id, 'alice'), ev.started(id)], newTracker(newVideo(id, NOW))).video;
  const completed = run([ev.completed(id)], { video: processing, seenEventIds: [] }).video;
  // A late duplicate: a history line on a final view, which raises its version only.
  const late = { ...completed, version: completed.version + 1, updatedAt: '2026-02-01T10:05:00.000Z' };

  it('is the live view while the video is in flight, whatever the row has', () => {
    expect(answeredView(processing, undefined, undefined)).toEqual(toView(processing));
    expect(answeredView(processing, processing, undefined)).toEqual(toView(processing));
  });

  it('is the live view of a video that just finished while its row is not final yet', () => {
    expect(answeredView(late, processing, undefined)).toEqual(toView(late));
  });

  it("shows a final view's late lines once the row has them", () => {
    expect(answeredView(late, completed, undefined)).toEqual(toView(completed));
    expect(answeredView(late, completed, late)).toEqual(toView(completed));
    expect(answeredView(late, late, undefined)).toEqual(toView(late));
  });

  it('answers the final view being written while the row still has an earlier status (readers go to the workflow then)', () => {
    expect(answeredView(late, processing, completed)).toEqual(toView(completed));
  });

  it('never answers a view the video has not reached', () => {
    expect(answeredView(completed, late, undefined)).toEqual(toView(completed));
  });

  it('property: the answer is the live view or one the row took or is taking, and differs from live only in LATE_EVENT_FIELDS', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), fc.boolean(), fc.boolean(), (liveExtra, writtenExtra, hasWritten, hasWriting) => {
        const live = { ...completed, version: completed.version + liveExtra };
        const written = hasWritten ? { ...completed, version: completed.version + Math.min(writtenExtra, liveExtra) } : processing;
        const writing = hasWriting ? { ...completed, version: completed.version + liveExtra } : undefined;
        const answer = answeredView(live, written, writing);
        expect([toView(live), toView(written), ...(writing ? [toView(writing)] : [])]).toContainEqual(answer);
        const strip = (view: ReturnType<typeof toView>) => {
          const copy: Partial<ReturnType<typeof toView>> = { ...view };
          for (const field of LATE_EVENT_FIELDS) delete copy[field];
          return copy;
        };
        expect(strip(answer)).toEqual(strip(toView(live)));
        expect(answer.version).toBeLessThanOrEqual(live.version);
      }),
    );
  });
});

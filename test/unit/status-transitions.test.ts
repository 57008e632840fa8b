/**
 * The status-transition counter reads each history line alone (src/metrics/status-transitions.ts):
 * checked here against the status change every line really made, for any stream of events, and
 * for the tracker's own lines that finish a video.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { applyOperatorAction } from '../../src/domain/operator-actions.js';
import { onWakeup, type StallPolicy } from '../../src/domain/stall.js';
import { applyEvent, newTracker, newVideo, type VideoStatus } from '../../src/domain/video.js';
import { statusEntered } from '../../src/metrics/status-transitions.js';
import { ev } from '../support/events.js';

const NOW = '2026-01-01T00:00:00.000Z';
const policy: StallPolicy = { uploadedAfterMs: 60_000, processingAfterMs: 60_000, repeatAfterMs: 60_000, maxReprocess: 0 };

describe('statusEntered', () => {
  const eventArb = fc.oneof(
    fc.constant((id: string) => ev.started(id)),
    fc.integer({ min: 0, max: 100 }).map((p) => (id: string) => ev.progress(id, p)),
    fc.constant((id: string) => ev.completed(id)),
    fc.constant((id: string) => ev.failed(id)),
    fc.constantFrom('alice', 'bob').map((u) => (id: string) => ev.uploaded(id, u)),
  );

  it('names exactly the status each event moved its video into (and uploaded at the first line)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(eventArb, fc.integer({ min: 1, max: 2 })), { minLength: 1, maxLength: 30 }), (stream) => {
        let s = newTracker(newVideo('v1', NOW));
        const counted: VideoStatus[] = [];
        const changes: VideoStatus[] = ['uploaded'];
        for (const [make, times] of stream) {
          const event = make('v1');
          for (let i = 0; i < times; i++) {
            const r = applyEvent(s, event, NOW);
            if (r.state.video.status !== s.video.status) changes.push(r.state.video.status);
            counted.push(...statusEntered(r.record));
            s = r.state;
          }
        }
        expect(counted).toEqual(changes);
      }),
    );
  });

  it('counts a timeout and an operator failing the video as failed', () => {
    const processing = applyEvent(newTracker(newVideo('v1', NOW)), ev.started('v1'), NOW).state.video;
    const armed = { ...processing, deadline: NOW, stalled: true, stalledSince: NOW };
    const timedOut = onWakeup(armed, '2026-01-01T01:00:00.000Z', policy);
    expect(timedOut.video.status).toBe('failed');
    const note = timedOut.notes[0]!;
    expect(statusEntered({ seq: 5, applied: true, type: note.type, reason: note.reason })).toEqual(['failed']);

    const failed = applyOperatorAction(processing, { type: 'fail', reason: 'broken upload' }, NOW, policy);
    expect(failed.video.status).toBe('failed');
    expect(statusEntered({ seq: 5, applied: true, type: 'vidproc.operator.fail', reason: failed.reason })).toEqual(['failed']);
    expect(statusEntered({ seq: 5, applied: true, type: 'vidproc.operator.retry', reason: 'reprocess requested' })).toEqual([]);
  });

  it('counts nothing for a line that was not applied', () => {
    expect(statusEntered({ seq: 3, applied: false, type: ev.completed('v1').type, reason: 'video is already failed' })).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { DurationError, formatDuration, parseDuration } from '../../src/domain/duration.js';
import { describeIssues } from '../../src/domain/event-schemas.js';
import { applyOperatorAction, parseOperatorRequest, refuseOperatorAction } from '../../src/domain/operator-actions.js';
import { operatorRequestSchemas } from '../../src/domain/operator-requests.js';
import { afterEvent, nextWakeup, onWakeup, type Dispatch, type StallPolicy } from '../../src/domain/stall.js';
import { newVideo, type VideoState } from '../../src/domain/video.js';

const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const policy: StallPolicy = { uploadedAfterMs: 60_000, processingAfterMs: 120_000, repeatAfterMs: 300_000, maxReprocess: 2 };
const kinds = (actions: Dispatch[]) => actions.map((a) => (a.type === 'alert' ? a.alert.kind : `reprocess#${a.attempt}`));

/** A video that just had an event applied at `t` with status `status`. */
const fresh = (status: VideoState['status'] = 'uploaded', t = 0): VideoState => {
  const before = { ...newVideo('v1', at(0)), userId: 'alice' };
  return afterEvent(before, { ...before, status }, at(t), policy).video;
};

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(text);
  });
  it.each(['', 'soon', '10', '-5m', '0s', '5 parsecs'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });
});

describe('the stall rules', () => {
  it('arms the stage deadline on every applied event', () => {
    expect(fresh('uploaded').deadline).toBe(at(60_000));
    expect(fresh('processing', 10_000).deadline).toBe(at(130_000));
    expect(nextWakeup(fresh('processing', 10_000), policy)).toBe(T0 + 130_000);
  });

  it('does nothing before the deadline', () => {
    const v = fresh('processing');
    expect(onWakeup(v, at(119_999), policy)).toEqual({ video: v, dispatches: [], notes: [] });
  });

  it('stalls, reprocesses twice, then times out, one stage period apart', () => {
    let v = fresh('processing');
    const s1 = onWakeup(v, at(120_000), policy);
    expect(kinds(s1.dispatches)).toEqual(['video.stalled', 'reprocess#1']);
    expect(s1.video).toMatchObject({ stalled: true, stalledSince: at(120_000), reprocessAttempts: 1, deadline: at(240_000) });
    expect(s1.notes.map((n) => n.type)).toEqual(['vidproc.video.stalled', 'vidproc.command.video.reprocess']);
    v = s1.video;

    const s2 = onWakeup(v, at(240_000), policy);
    expect(kinds(s2.dispatches)).toEqual(['reprocess#2']);
    v = s2.video;

    const s3 = onWakeup(v, at(360_000), policy);
    expect(kinds(s3.dispatches)).toEqual(['video.timed_out']);
    expect(s3.video).toMatchObject({ status: 'failed', error: { code: 'TIMED_OUT' }, deadline: null, stalled: false });
    expect(s3.video.error?.message).toMatch(/after 2 reprocess attempts/);
    expect(nextWakeup(s3.video, policy)).toBeNull();
  });

  it('with MAX_REPROCESS=0 only alerts, then times out', () => {
    const none = { ...policy, maxReprocess: 0 };
    const v = afterEvent(newVideo('v1', at(0)), newVideo('v1', at(0)), at(0), none).video;
    const s1 = onWakeup(v, at(60_000), none);
    expect(kinds(s1.dispatches)).toEqual(['video.stalled']);
    const s2 = onWakeup(s1.video, at(120_000), none);
    expect(kinds(s2.dispatches)).toEqual(['video.timed_out']);
    expect(s2.video.error?.message).toMatch(/reprocessing is off/);
  });

  it('repeats the alert while stalled', () => {
    const slowPolicy = { ...policy, processingAfterMs: 3_600_000, repeatAfterMs: 60_000 };
    const v = afterEvent(newVideo('v1', at(0)), { ...newVideo('v1', at(0)), status: 'processing' }, at(0), slowPolicy).video;
    const stalled = onWakeup(v, at(3_600_000), slowPolicy).video;
    expect(nextWakeup(stalled, slowPolicy)).toBe(T0 + 3_660_000);
    const repeat = onWakeup(stalled, at(3_660_000), slowPolicy);
    expect(kinds(repeat.dispatches)).toEqual(['video.stalled.repeat']);
    expect(repeat.video.lastAlertAt).toBe(at(3_660_000));
  });

  it('a stalled video that moves on has recovered', () => {
    const stalled = onWakeup(fresh('processing'), at(120_000), policy).video;
    const moved = afterEvent(stalled, { ...stalled, progress: 50 }, at(130_000), policy);
    expect(kinds(moved.dispatches)).toEqual(['video.recovered']);
    expect(moved.video).toMatchObject({ stalled: false, stalledSince: null, deadline: at(250_000) });
    const recovered = moved.dispatches[0];
    expect(recovered?.type === 'alert' && recovered.alert.stalledSince).toBe(at(120_000));
  });

  it('alerts carry the contract fields and one sentence', () => {
    const [alert] = onWakeup(fresh('uploaded'), at(60_000), policy).dispatches;
    expect(alert).toMatchObject({
      type: 'alert',
      alert: { kind: 'video.stalled', videoId: 'v1', userId: 'alice', status: 'uploaded', stalledSince: at(60_000) },
    });
    expect(alert?.type === 'alert' && alert.alert.text).toMatch(/^Video v1 is stalled: no processing to start for 1m .*\.$/);
  });
});

describe('operator actions', () => {
  const done = { ...fresh('processing'), status: 'completed' as const };
  it('refuses actions on a finished video, a blank reason, a non-positive extension', () => {
    expect(refuseOperatorAction(done, { type: 'retry' })).toMatch(/already completed/);
    expect(refuseOperatorAction(fresh(), { type: 'fail', reason: ' ' })).toMatch(/reason/);
    expect(refuseOperatorAction(fresh(), { type: 'extend', durationMs: 0 })).toMatch(/positive/);
    expect(refuseOperatorAction(fresh(), { type: 'retry' })).toBeNull();
  });
  it('retry reprocesses now and re-arms the deadline', () => {
    const r = applyOperatorAction(fresh('processing'), { type: 'retry' }, at(50_000), policy);
    expect(kinds(r.dispatches)).toEqual(['reprocess#1']);
    expect(r.video.deadline).toBe(at(170_000));
  });
  it('fail marks the video failed with the reason', () => {
    const r = applyOperatorAction(fresh('processing'), { type: 'fail', reason: 'corrupt upload' }, at(5_000), policy);
    expect(r.video).toMatchObject({ status: 'failed', error: { code: 'FAILED_BY_OPERATOR', message: 'corrupt upload' }, deadline: null });
  });
  it('extend pushes the current deadline', () => {
    const r = applyOperatorAction(fresh('processing'), { type: 'extend', durationMs: 3_600_000 }, at(5_000), policy);
    expect(r.video.deadline).toBe(at(120_000 + 3_600_000));
  });
});

describe('operator requests (one parse for the workflow, the gateway, the CLI)', () => {
  it('reads each action from its fields and says who acts', () => {
    expect(parseOperatorRequest('retry', { by: 'ops' })).toEqual({ ok: true, by: 'ops', action: { type: 'retry' } });
    expect(parseOperatorRequest('fail', { by: 'ops', reason: 'corrupt' })).toEqual({ ok: true, by: 'ops', action: { type: 'fail', reason: 'corrupt' } });
    expect(parseOperatorRequest('extend', { by: 'ops', duration: '2h' })).toEqual({ ok: true, by: 'ops', action: { type: 'extend', durationMs: 7_200_000 } });
  });
  it('a missing reason becomes blank, which the rules then refuse', () => {
    const parsed = parseOperatorRequest('fail', { by: 'ops' });
    expect(parsed).toEqual({ ok: true, by: 'ops', action: { type: 'fail', reason: '' } });
    expect(parsed.ok && refuseOperatorAction(fresh(), parsed.action)).toMatch(/reason/);
  });
  it.each([
    ['retry', {}, /say who you are/],
    ['retry', { by: '  ' }, /say who you are/],
    ['extend', { by: 'ops', duration: 'soon' }, /duration: must be a duration like 90s/],
    ['extend', { by: 'ops', duration: 30 }, /duration/],
    ['fail', { by: 'ops', reason: 'x'.repeat(5000) }, /reason/],
  ] as const)('refuses %s %j, and the edge (API, gateway) says why', (type, input, reason) => {
    expect(parseOperatorRequest(type, input).ok).toBe(false);
    const atTheEdge = operatorRequestSchemas[type].safeParse(input);
    expect(!atTheEdge.success && describeIssues(atTheEdge.error)).toMatch(reason);
  });
});

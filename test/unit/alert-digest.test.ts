import { describe, expect, it } from '@jest/globals';
import {
  digestIdle,
  emptyDigest,
  flushDue,
  isGrouped,
  nextFlushAt,
  receiveAlert,
  type AlertGroupingPolicy,
  type AlertMessage,
  type DigestState,
} from '../../src/domain/alert-digest.js';
import type { Alert, AlertKind } from '../../src/domain/stall.js';
import type { VideoStatus } from '../../src/domain/video.js';

const T0 = Date.parse('2026-05-01T00:00:00.000Z');
const SECOND = 1_000;
const policy: AlertGroupingPolicy = {
  windowMs: 60 * SECOND,
  threshold: 3,
  sampleSize: 4,
  webUi: { baseUrl: 'http://ui.example:8233/', namespace: 'prod', taskQueue: 'video-status', workflowType: 'videoWorkflow', workflowIdPrefix: 'video-' },
};

const alert = (videoId: string, kind: AlertKind = 'video.stalled', status: VideoStatus = 'processing'): Alert => ({
  kind,
  videoId,
  userId: 'alice',
  status,
  stalledSince: new Date(T0).toISOString(),
  deadline: null,
  text: `Video ${videoId} ...`,
});

/** Feeds alerts at the given offsets; returns what went out at once. */
function feed(state: DigestState, items: Array<[number, Alert]>): AlertMessage[] {
  return items.flatMap(([t, a]) => receiveAlert(state, a, T0 + t, policy));
}

describe('alert grouping', () => {
  it('a few alerts go out one by one, at once', () => {
    const state = emptyDigest();
    const out = feed(state, [[0, alert('a')], [5 * SECOND, alert('b')], [10 * SECOND, alert('c')]]);
    expect(out.map((m) => (isGrouped(m) ? 'grouped' : m.videoId))).toEqual(['a', 'b', 'c']);
    expect(nextFlushAt(state)).toBeNull();
  });

  it('past the threshold within the window, the rest wait one window and go out as one message', () => {
    const state = emptyDigest();
    const ids = Array.from({ length: 100 }, (_, i) => `v${i}`);
    const out = feed(state, ids.map((id, i) => [i * 500, alert(id)]));
    expect(out.map((m) => !isGrouped(m) && m.videoId)).toEqual(['v0', 'v1', 'v2']);
    // The batch opened with the 4th alert (1.5 s), and is due one window later.
    expect(nextFlushAt(state)).toBe(T0 + 1_500 + policy.windowMs);
    expect(flushDue(state, T0 + 61 * SECOND, policy)).toEqual([]);
    const [grouped, ...rest] = flushDue(state, T0 + 61_500, policy);
    expect(rest).toEqual([]);
    expect(grouped).toMatchObject({
      kind: 'video.stalled',
      grouped: true,
      status: 'processing',
      count: 97,
      videoIds: ['v3', 'v4', 'v5', 'v6'],
      firstAt: new Date(T0 + 1_500).toISOString(),
      lastAt: new Date(T0 + 49_500).toISOString(),
      query: 'WorkflowType = "videoWorkflow" AND TaskQueue = "video-status" AND ExecutionStatus = "Running" AND VideoStalled = true AND VideoStatus = "processing"',
    });
    expect(grouped!.webUiUrl).toBe(`http://ui.example:8233/namespaces/prod/workflows?query=${encodeURIComponent(grouped!.query)}`);
    expect(grouped!.text).toBe(
      `97 videos stalled (processing) between ${new Date(T0 + 1_500).toISOString()} and ${new Date(T0 + 49_500).toISOString()}: v3, v4, v5, v6 and 93 more. Web UI: ${grouped!.webUiUrl}`,
    );
    expect(nextFlushAt(state)).toBeNull();
  });

  it('a storm that goes on gets one message per window, none one by one; after a quiet window, one by one again', () => {
    const state = emptyDigest();
    const out: AlertMessage[] = [];
    // One alert a second for 5 minutes, flushing as the workflow would.
    for (let t = 0; t < 300 * SECOND; t += SECOND) {
      out.push(...flushDue(state, T0 + t, policy), ...receiveAlert(state, alert(`v${t}`), T0 + t, policy));
    }
    out.push(...flushDue(state, T0 + 400 * SECOND, policy));
    const single = out.filter((m) => !isGrouped(m));
    const grouped = out.filter(isGrouped);
    expect(single).toHaveLength(3);
    expect(grouped.length).toBeLessThanOrEqual(5);
    expect(grouped.reduce((n, g) => n + g.count, 0)).toBe(297);
    expect(digestIdle(state, T0 + 400 * SECOND, policy)).toBe(true);
    expect(receiveAlert(state, alert('later'), T0 + 400 * SECOND, policy)).toEqual([alert('later')]);
  });

  it('groups per kind and status; recoveries and time-outs link to their sample', () => {
    const state = emptyDigest();
    const items: Array<[number, Alert]> = [];
    for (let i = 0; i < 6; i++) {
      items.push([i, alert(`u${i}`, 'video.stalled', 'uploaded')], [i, alert(`r${i}`, 'video.recovered', 'completed')]);
    }
    items.push([7, alert('p0', 'video.stalled', 'processing')]);
    const out = feed(state, items);
    expect(out.map((m) => !isGrouped(m) && m.videoId)).toEqual(['u0', 'r0', 'u1', 'r1', 'u2', 'r2', 'p0']);
    const grouped = flushDue(state, T0 + 2 * policy.windowMs, policy);
    expect(grouped.map((g) => [g.kind, g.status, g.count, g.videoIds])).toEqual([
      ['video.recovered', 'completed', 3, ['r3', 'r4', 'r5']],
      ['video.stalled', 'uploaded', 3, ['u3', 'u4', 'u5']],
    ]);
    expect(grouped[0]!.query).toBe('WorkflowType = "videoWorkflow" AND TaskQueue = "video-status" AND WorkflowId IN ("video-r3", "video-r4", "video-r5")');
    expect(grouped[0]!.text).toMatch(/^3 videos moving again after a stall \(now completed\) between /);
  });

  it('threshold 0 groups everything; no Web UI URL: the query is in the text', () => {
    const strict = { ...policy, threshold: 0, webUi: { ...policy.webUi, baseUrl: null } };
    const state = emptyDigest();
    expect(receiveAlert(state, alert('a', 'video.timed_out', 'failed'), T0, strict)).toEqual([]);
    const [grouped] = flushDue(state, T0 + strict.windowMs, strict);
    expect(grouped).toMatchObject({ count: 1, videoIds: ['a'], webUiUrl: null });
    expect(grouped!.text).toMatch(/^1 video timed out and marked failed between .*: a\. Web UI query: WorkflowType = /);
  });

  it('the state survives a round trip through JSON (a continue-as-new)', () => {
    const state = emptyDigest();
    feed(state, Array.from({ length: 10 }, (_, i): [number, Alert] => [i, alert(`v${i}`)]));
    const carried = JSON.parse(JSON.stringify(state)) as DigestState;
    expect(flushDue(carried, T0 + policy.windowMs + 3, policy)).toEqual(flushDue(state, T0 + policy.windowMs + 3, policy));
  });
});

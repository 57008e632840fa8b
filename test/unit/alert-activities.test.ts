/**
 * The alert activities: `sendAlert` logs every video's alert (grouped or not, operators search
 * the log by video) and hands it over with a key stable across the activity's retries;
 * `postAlert` logs only grouped messages (a video's own was logged when raised).
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { createActivities, type ActivityDeps } from '../../src/activities/index.js';
import type { AlertGroupingPolicy, HandedAlert } from '../../src/domain/alert-digest.js';
import type { Alert } from '../../src/domain/stall.js';

const grouping: AlertGroupingPolicy = {
  windowMs: 60_000,
  threshold: 3,
  sampleSize: 10,
  webUi: { baseUrl: null, namespace: 'default', taskQueue: 'q', workflowType: 'videoWorkflow', workflowIdPrefix: 'video-' },
};

function activitiesWithLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const handed: HandedAlert[] = [];
  const deps = {
    alerts: {
      logger: pino({ level: 'warn' }, stream),
      digest: {
        hand: (h: HandedAlert) => {
          handed.push(h);
          return Promise.resolve();
        },
      },
      grouping,
    },
    webhooks: {}, // not used here
  } as unknown as ActivityDeps;
  return { activities: createActivities(deps), lines, handed };
}

const alert: Alert = {
  kind: 'video.stalled',
  videoId: 'vid-1',
  userId: 'alice',
  status: 'processing',
  stalledSince: '2026-05-01T00:00:00.000Z',
  deadline: null,
  text: 'Video vid-1 is stalled.',
};

describe('alert activities', () => {
  it('sendAlert logs the video alert and hands it over, keyed by the workflow run and activity', async () => {
    const { activities, lines, handed } = activitiesWithLog();
    const env = new MockActivityEnvironment({
      activityId: '7',
      workflowExecution: { workflowId: 'video-vid-1', runId: 'run-1' },
    });
    await env.run(activities.sendAlert, alert);
    await env.run(activities.sendAlert, alert); // a retry: the same key
    expect(lines.map((l) => [l.msg, (l.alert as Alert).videoId])).toEqual([
      ['Video vid-1 is stalled.', 'vid-1'],
      ['Video vid-1 is stalled.', 'vid-1'],
    ]);
    expect(handed).toEqual([
      { alert, key: 'video-vid-1/run-1/7' },
      { alert, key: 'video-vid-1/run-1/7' },
    ]);
  });

  it('postAlert logs a grouped message, not a video alert again (no webhook: nothing POSTed)', async () => {
    const { activities, lines } = activitiesWithLog();
    const env = new MockActivityEnvironment();
    expect(await env.run(activities.postAlert, alert)).toEqual({ delivered: false });
    expect(lines).toEqual([]);
    const grouped = {
      kind: 'video.stalled' as const,
      grouped: true as const,
      status: 'processing' as const,
      count: 5,
      videoIds: ['a', 'b'],
      firstAt: '2026-05-01T00:00:00.000Z',
      lastAt: '2026-05-01T00:00:30.000Z',
      query: 'q',
      webUiUrl: null,
      text: '5 videos stalled (processing) …',
    };
    expect(await env.run(activities.postAlert, grouped)).toEqual({ delivered: false });
    expect(lines.map((l) => [l.msg, (l.alert as { count: number }).count])).toEqual([['5 videos stalled (processing) …', 5]]);
  });
});

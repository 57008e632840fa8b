/**
 * The stuck-video schedule with production's deadlines (minutes and hours), in seconds: Temporal's
 * time-skipping test server runs the real workflow bundle on a real worker, with the real
 * activities (Postgres through MikroORM, reprocess commands on the real RabbitMQ, alerts POSTed to
 * a real HTTP receiver). Server time jumps while the test awaits a workflow's result or
 * `env.sleep()`s; the times recorded in Postgres and in the alerts show the hours skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { COMMAND_TYPES } from '../../src/domain/events.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import type { VideoState, VideoView } from '../../src/domain/video.js';
import { createVideoGateway, OperatorActionRefusedError, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startCommandReceiver, startWebhookReceiver, type CommandReceiver, type WebhookReceiver } from '../support/receivers.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let env: TestWorkflowEnvironment;
let webhook: WebhookReceiver;

beforeAll(async () => {
  [env, webhook] = await Promise.all([startTimeSkippingServer(), startWebhookReceiver()]);
});
afterAll(async () => {
  await env?.teardown();
  await webhook?.close();
});

/** A worker with this stuck-video policy on the time-skipping server, and what it sends out. */
interface Schedule {
  h: TemporalHarness;
  videos: VideoGateway;
  commands: CommandReceiver;
  stop(): Promise<void>;
}

async function startSchedule(policy: { uploaded: string; processing: string; repeat: string; maxReprocess: number }): Promise<Schedule> {
  const h = await startHarness(
    testConfig({
      STUCK_UPLOADED_AFTER: policy.uploaded,
      STUCK_PROCESSING_AFTER: policy.processing,
      ALERT_REPEAT_AFTER: policy.repeat,
      MAX_REPROCESS: String(policy.maxReprocess),
      ALERT_WEBHOOK_URL: webhook.url,
    }),
    { address: env.address, client: env.client, connection: env.connection },
  );
  const commands = await startCommandReceiver(h.config.AMQP_URL, h.config.AMQP_EXCHANGE, COMMAND_TYPES.reprocess);
  // Production's workflow settings (a finished video's workflow lingers 10 minutes: skipped too).
  const videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  return {
    h,
    videos,
    commands,
    async stop() {
      await commands.close();
      await h.stop();
    },
  };
}

const alertsFor = (videoId: string) => webhook.alerts.filter((a) => a.videoId === videoId);
const handleOf = (videoId: string) => env.client.workflow.getHandle(workflowIdFor(videoId));
const view = (videoId: string) => handleOf(videoId).query(getStatusQuery);
/** Waits for the workflow to close: time skips through every timer left (the linger too). */
const finished = (videoId: string) => handleOf(videoId).result() as Promise<VideoView>;
const at = (iso: string | null | undefined) => Date.parse(iso ?? 'missing');
const iso = (ms: number) => new Date(ms).toISOString();
/** The server time of a step: when the timer fired, plus the little real time its work took. */
const expectNear = (time: string | null | undefined, expectedMs: number, toleranceMs = 10_000) => {
  const delta = at(time) - expectedMs;
  expect({ time, delta: delta >= 0 && delta <= toleranceMs }).toEqual({ time, delta: true });
};
const historyOf = (s: Schedule, videoId: string) => findHistory(s.h.orm.em.fork(), videoId);
/** The history record of this type, once written (a signal or an update returns before the write). */
const recordOf = (s: Schedule, videoId: string, type: string) =>
  eventually(async () => (await historyOf(s, videoId)).find((r) => r.type === type));
/** The live view once `ready` holds (a signal returns before the workflow applied it). */
const viewWhen = (videoId: string, ready: (v: VideoView) => boolean) =>
  eventually(async () => {
    const v = await view(videoId);
    return ready(v) ? v : undefined;
  });
const rowWhen = (s: Schedule, videoId: string, ready: (v: VideoState) => boolean) =>
  eventually(async () => {
    const row = await findVideo(s.h.orm.em.fork(), videoId);
    return row && ready(row) ? row : undefined;
  });

describe('production deadlines (uploaded 15m, processing 30m, repeat 1h, 2 reprocess attempts)', () => {
  let s: Schedule;
  beforeAll(async () => {
    s = await startSchedule({ uploaded: '15m', processing: '30m', repeat: '1h', maxReprocess: 2 });
  });
  afterAll(async () => {
    await s?.stop();
  });
  const commandsFor = (videoId: string) => s.commands.commands.filter((c) => c.subject === videoId);

  it('a video stuck in processing is stalled after 30m, reprocessed then and at 60m, and TIMED_OUT at 90m', async () => {
    const id = uniqueId('stuck');
    await s.videos.sendEvent(ev.uploaded(id, 'alice'));
    await s.videos.sendEvent(ev.started(id));
    await viewWhen(id, (v) => v.status === 'processing');
    const started = at((await recordOf(s, id, 'vidproc.video.processing.started')).receivedAt);

    // Just past the deadline: stalled (view, search attribute, Postgres), alerted, reprocess 1.
    await env.sleep(31 * MINUTE);
    expect(await view(id)).toMatchObject({ status: 'processing', stalled: true, stalledSince: iso(started + 30 * MINUTE) });
    const described = await handleOf(id).describe();
    expect(described.searchAttributes).toMatchObject({ VideoStalled: [true], VideoStatus: ['processing'] });
    const row = await findVideo(s.h.orm.em.fork(), id);
    expect(row).toMatchObject({ stalled: true, stalledSince: iso(started + 30 * MINUTE), reprocessAttempts: 1 });
    expectNear(row!.deadline, started + 60 * MINUTE); // re-armed for the next attempt
    expect(alertsFor(id).map((a) => a.kind)).toEqual(['video.stalled']);
    expect(commandsFor(id).map((c) => c.id)).toEqual([`${id}:reprocess:1`]);

    const final = await finished(id);
    expect(final).toMatchObject({ status: 'failed', stalled: false, error: { code: 'TIMED_OUT' } });
    expect(final.error?.message).toBe('no progress, completion or failure for 30m (processing) after 2 reprocess attempts');
    expectNear(final.completedAt, started + 90 * MINUTE);
    expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(started + 100 * MINUTE); // and the 10-minute linger

    expect(commandsFor(id).map((c) => [c.id, c.data.attempt, c.data.reason])).toEqual([
      [`${id}:reprocess:1`, 1, 'stalled: no progress, completion or failure for 30m'],
      [`${id}:reprocess:2`, 2, 'stalled: no progress, completion or failure for 30m'],
    ]);
    const alerts = alertsFor(id);
    // With these deadlines the hourly repeat (stalled + 1h) and the give-up (stalled + 2 periods)
    // both fall due at 90m; each is re-armed from the wake-up before it, so which one wakes the
    // workflow first depends on milliseconds of task latency: a repeat may go out just before.
    const repeats = alerts.filter((a) => a.kind === 'video.stalled.repeat');
    expect(repeats.length).toBeLessThanOrEqual(1);
    expect(alerts.filter((a) => a.kind !== 'video.stalled.repeat').map((a) => [a.kind, a.status, a.stalledSince])).toEqual([
      ['video.stalled', 'processing', iso(started + 30 * MINUTE)],
      ['video.timed_out', 'failed', iso(started + 30 * MINUTE)],
    ]);
    expect(alerts.at(-1)!.kind).toBe('video.timed_out');
    expect(repeats.map((a) => [a.status, a.stalledSince])).toEqual(repeats.map(() => ['processing', iso(started + 30 * MINUTE)]));
    expect(alerts[0]).toMatchObject({ userId: 'alice' });
    expectNear(alerts[0]!.deadline, started + 60 * MINUTE);
    expect(alerts[0]!.text).toMatch(/is stalled: no progress, completion or failure for 30m .*attempt 1 of 2\)\.$/);

    const history = await historyOf(s, id);
    expect(history.map((r) => r.type)).toEqual([
      'vidproc.video.uploaded',
      'vidproc.video.processing.started',
      'vidproc.video.stalled',
      'vidproc.command.video.reprocess',
      'vidproc.command.video.reprocess',
      'vidproc.video.timed_out',
    ]);
    const [, , stalled, reprocess1, reprocess2, timedOut] = history;
    expectNear(stalled!.receivedAt, started + 30 * MINUTE);
    expectNear(reprocess1!.receivedAt, started + 30 * MINUTE);
    expectNear(reprocess2!.receivedAt, started + 60 * MINUTE);
    expectNear(timedOut!.receivedAt, started + 90 * MINUTE);
    expect(await findVideo(s.h.orm.em.fork(), id)).toMatchObject({ status: 'failed', reprocessAttempts: 2, stalled: false });
  });

  it('a stalled video that moves on is recovered, and its deadline is re-armed from that event', async () => {
    const id = uniqueId('recover');
    await s.videos.sendEvent(ev.uploaded(id, 'bob'));
    const uploaded = at((await recordOf(s, id, 'vidproc.video.uploaded')).receivedAt);
    await env.sleep(16 * MINUTE);
    expect(await view(id)).toMatchObject({ status: 'uploaded', stalled: true, stalledSince: iso(uploaded + 15 * MINUTE) });

    await s.videos.sendEvent(ev.started(id));
    const moving = await viewWhen(id, (v) => v.status === 'processing');
    expect(moving).toMatchObject({ stalled: false, stalledSince: null });
    const recovered = await recordOf(s, id, 'vidproc.video.recovered');
    const started = at((await recordOf(s, id, 'vidproc.video.processing.started')).receivedAt);
    expect(recovered.receivedAt).toBe(iso(started));
    expect(recovered.data).toEqual({ stalledSince: iso(uploaded + 15 * MINUTE) });
    expect(await rowWhen(s, id, (v) => v.status === 'processing')).toMatchObject({ stalled: false, deadline: iso(started + 30 * MINUTE) });
    await eventually(() => (alertsFor(id).length === 2 ? true : undefined));
    expect(alertsFor(id).map((a) => [a.kind, a.status, a.stalledSince])).toEqual([
      ['video.stalled', 'uploaded', iso(uploaded + 15 * MINUTE)],
      ['video.recovered', 'processing', iso(uploaded + 15 * MINUTE)],
    ]);

    // Quiet until 30m after the event that moved it, then stalled again (processing this time).
    await env.sleep(29 * MINUTE);
    expect(await view(id)).toMatchObject({ stalled: false });
    expect(alertsFor(id)).toHaveLength(2);
    await env.sleep(2 * MINUTE);
    expect(await view(id)).toMatchObject({ status: 'processing', stalled: true, stalledSince: iso(started + 30 * MINUTE) });
    expect(alertsFor(id).map((a) => [a.kind, a.stalledSince])).toEqual([
      ['video.stalled', iso(uploaded + 15 * MINUTE)],
      ['video.recovered', iso(uploaded + 15 * MINUTE)],
      ['video.stalled', iso(started + 30 * MINUTE)],
    ]);

    await s.videos.sendEvent(ev.completed(id));
    expect(await finished(id)).toMatchObject({ status: 'completed', stalled: false, imagesUrl: `s3://images/${id}.zip` });
    expect(alertsFor(id).map((a) => [a.kind, a.status])).toEqual([
      ['video.stalled', 'uploaded'],
      ['video.recovered', 'processing'],
      ['video.stalled', 'processing'],
      ['video.recovered', 'completed'],
    ]);
    expect(commandsFor(id).map((c) => c.data.attempt)).toEqual([1, 2]);
  });

  it('an extension pushes the deadline (and so the give-up) later; a retry re-arms it from now', async () => {
    const id = uniqueId('extend');
    await s.videos.sendEvent(ev.uploaded(id, 'dave'));
    const uploaded = at((await recordOf(s, id, 'vidproc.video.uploaded')).receivedAt);

    await env.sleep(10 * MINUTE);
    await s.videos.operate(id, { type: 'extend', by: 'ops-anna', duration: '2h' });
    const extended = await recordOf(s, id, 'vidproc.operator.extend');
    expect(extended).toMatchObject({ source: 'operator:ops-anna', reason: `deadline extended by 2h to ${iso(uploaded + 135 * MINUTE)}` });
    expect(await rowWhen(s, id, (v) => v.deadline !== iso(uploaded + 15 * MINUTE))).toMatchObject({ deadline: iso(uploaded + 135 * MINUTE) });

    // Past the first deadline (15m) by hours: nothing happened.
    await env.sleep(2 * HOUR);
    expect(await view(id)).toMatchObject({ status: 'uploaded', stalled: false });
    expect(alertsFor(id)).toEqual([]);

    await s.videos.operate(id, { type: 'retry', by: 'ops-ben' });
    const retried = at((await recordOf(s, id, 'vidproc.operator.retry')).receivedAt);
    expectNear(iso(retried), uploaded + 130 * MINUTE);
    expect(await rowWhen(s, id, (v) => v.reprocessAttempts > 0)).toMatchObject({ deadline: iso(retried + 15 * MINUTE), reprocessAttempts: 1 });

    const final = await finished(id);
    expect(final).toMatchObject({ status: 'failed', error: { code: 'TIMED_OUT', message: 'no processing to start for 15m (uploaded) after 2 reprocess attempts' } });
    expectNear(final.completedAt, retried + 30 * MINUTE);
    expect(commandsFor(id).map((c) => [c.data.attempt, c.data.reason])).toEqual([
      [1, 'requested by an operator'],
      [2, 'stalled: no processing to start for 15m'],
    ]);
    // Stalled 15m after the retry: not at the extended deadline (2h15m), nor at the first one.
    expect(alertsFor(id).map((a) => [a.kind, a.stalledSince])).toEqual([
      ['video.stalled', iso(retried + 15 * MINUTE)],
      ['video.timed_out', iso(retried + 15 * MINUTE)],
    ]);
    expect((await historyOf(s, id)).map((r) => [r.type, r.source])).toEqual([
      ['vidproc.video.uploaded', 'test://processing-service'],
      ['vidproc.operator.extend', 'operator:ops-anna'],
      ['vidproc.operator.retry', 'operator:ops-ben'],
      ['vidproc.video.stalled', 'vidproc'],
      ['vidproc.command.video.reprocess', 'vidproc'],
      ['vidproc.video.timed_out', 'vidproc'],
    ]);
  });

  it('retries the alert webhook when it fails', async () => {
    const id = uniqueId('hook');
    webhook.failNext(2, 503);
    await s.videos.sendEvent(ev.uploaded(id, 'carol'));
    // The activity's retry backoff (1s, then 2s) is skipped too.
    await env.sleep(16 * MINUTE);
    const [alert] = alertsFor(id);
    expect(alert).toMatchObject({ kind: 'video.stalled', status: 'uploaded' });
    await s.videos.sendEvent(ev.failed(id, 'E', 'done with this test'));
    expect(await finished(id)).toMatchObject({ status: 'failed' });
  });

  it('operator actions: retry, extend and fail, each recorded with who did it; refused once the video is finished', async () => {
    const id = uniqueId('ops');
    await s.videos.sendEvent(ev.uploaded(id, 'dave'));
    await s.videos.sendEvent(ev.started(id));
    await viewWhen(id, (v) => v.status === 'processing');

    await s.videos.operate(id, { type: 'retry', by: 'ops-anna' });
    await eventually(() => (s.commands.commands.some((c) => c.subject === id && c.data.reason === 'requested by an operator') ? true : undefined));
    await s.videos.operate(id, { type: 'extend', by: 'ops-anna', duration: '1h' });
    await expect(s.videos.operate(id, { type: 'extend', by: 'ops-anna', duration: 'soon' })).rejects.toThrow(OperatorActionRefusedError);
    // Past the deadline the retry re-armed (30m), within the extension (1h more): not stalled.
    await env.sleep(45 * MINUTE);
    expect(await view(id)).toMatchObject({ status: 'processing', stalled: false });
    const failed = await s.videos.operate(id, { type: 'fail', by: 'ops-ben', reason: 'source file is corrupt' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'FAILED_BY_OPERATOR', message: 'source file is corrupt' } });

    await expect(s.videos.operate(id, { type: 'retry', by: 'ops-anna' })).rejects.toThrow(/already failed/);
    expect(await finished(id)).toMatchObject({ status: 'failed', error: { code: 'FAILED_BY_OPERATOR' } });
    const history = await historyOf(s, id);
    expect(history.filter((r) => r.type.startsWith('vidproc.operator.')).map((r) => [r.type, r.source])).toEqual([
      ['vidproc.operator.retry', 'operator:ops-anna'],
      ['vidproc.operator.extend', 'operator:ops-anna'],
      ['vidproc.operator.fail', 'operator:ops-ben'],
    ]);
    expect(history.find((r) => r.type === 'vidproc.operator.extend')?.reason).toMatch(/extended by 1h/);
    // The extension kept it from stalling: no stalled alert for this video.
    expect(alertsFor(id)).toEqual([]);
  });

  it('operator actions: refused on a video without a running workflow', async () => {
    await expect(s.videos.operate(uniqueId('none'), { type: 'retry', by: 'x' })).rejects.toThrow(/no running workflow/);
  });
});

describe('hours-long deadlines (uploaded 2h, processing 6h, repeat 1h, 1 reprocess attempt)', () => {
  let s: Schedule;
  beforeAll(async () => {
    s = await startSchedule({ uploaded: '2h', processing: '6h', repeat: '1h', maxReprocess: 1 });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('repeats the alert every hour while stalled, and gives up 12 hours in', async () => {
    const id = uniqueId('hours');
    await s.videos.sendEvent(ev.uploaded(id, 'erin'));
    await s.videos.sendEvent(ev.started(id));
    const started = at((await recordOf(s, id, 'vidproc.video.processing.started')).receivedAt);

    await env.sleep(6 * HOUR + MINUTE);
    expect(alertsFor(id).map((a) => [a.kind, a.stalledSince])).toEqual([['video.stalled', iso(started + 6 * HOUR)]]);
    expect(s.commands.commands.filter((c) => c.subject === id).map((c) => c.data.attempt)).toEqual([1]);
    for (let hour = 7; hour <= 11; hour++) {
      await env.sleep(HOUR);
      const kinds = alertsFor(id).map((a) => a.kind);
      expect({ hour, kinds }).toEqual({ hour, kinds: ['video.stalled', ...Array<string>(hour - 6).fill('video.stalled.repeat')] });
    }

    const final = await finished(id);
    expect(final).toMatchObject({ status: 'failed', error: { code: 'TIMED_OUT', message: 'no progress, completion or failure for 6h (processing) after 1 reprocess attempt' } });
    expectNear(final.completedAt, started + 12 * HOUR);
    const alerts = alertsFor(id);
    expect(alerts.map((a) => a.kind)).toEqual(['video.stalled', ...Array<string>(5).fill('video.stalled.repeat'), 'video.timed_out']);
    expect(alerts.every((a) => a.stalledSince === iso(started + 6 * HOUR))).toBe(true);
    expect(alerts[1]!.text).toBe(`Video ${id} is still stalled (processing) since ${iso(started + 6 * HOUR)}.`);
    const history = await historyOf(s, id);
    expect(history.map((r) => r.type).slice(2)).toEqual(['vidproc.video.stalled', 'vidproc.command.video.reprocess', 'vidproc.video.timed_out']);
    expectNear(history.at(-1)!.receivedAt, started + 12 * HOUR);
  });
});

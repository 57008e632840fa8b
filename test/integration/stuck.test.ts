/**
 * Stuck videos on the real Temporal dev server (short deadlines), with a real HTTP receiver for
 * the alert webhook and the real RabbitMQ for the reprocess commands.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMMAND_TYPES } from '../../src/domain/events.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import { createVideoGateway, OperatorActionRefusedError, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startCommandReceiver, startWebhookReceiver, type CommandReceiver, type WebhookReceiver } from '../support/receivers.js';

let webhook: WebhookReceiver;
let h: TemporalHarness;
let commands: CommandReceiver;
let videos: VideoGateway;

beforeAll(async () => {
  webhook = await startWebhookReceiver();
  h = await startHarness(
    testConfig({
      STUCK_UPLOADED_AFTER: '1s',
      STUCK_PROCESSING_AFTER: '2s',
      ALERT_REPEAT_AFTER: '1h',
      MAX_REPROCESS: '2',
      ALERT_WEBHOOK_URL: webhook.url,
    }),
  );
  commands = await startCommandReceiver(h.config.AMQP_URL, h.config.AMQP_EXCHANGE, COMMAND_TYPES.reprocess);
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE, workflowDefaults: { lingerMs: 60_000 } });
});
afterAll(async () => {
  await commands?.close();
  await h?.stop();
  await webhook?.close();
});

const alertsFor = (videoId: string) => webhook.alerts.filter((a) => a.videoId === videoId);
const commandsFor = (videoId: string) => commands.commands.filter((c) => c.subject === videoId);
const view = (videoId: string) => h.client.workflow.getHandle(workflowIdFor(videoId)).query(getStatusQuery);

describe('a video left without events', () => {
  it('is alerted on, reprocessed twice, and finally failed with TIMED_OUT, every step in its history', async () => {
    const id = uniqueId('stuck');
    await videos.sendEvent(ev.uploaded(id, 'alice'));
    await videos.sendEvent(ev.started(id));

    // Stalled: the view, the search attribute, an alert and the first reprocess command.
    const stalled = await eventually(async () => {
      const v = await view(id);
      return v.stalled ? v : undefined;
    });
    expect(stalled).toMatchObject({ status: 'processing', stalled: true });
    expect(typeof stalled.stalledSince).toBe('string');
    const listed = await eventually(async () => {
      const found = await videos.listStalled();
      return found.some((s) => s.videoId === id) ? found : undefined;
    });
    expect(listed.find((s) => s.videoId === id)?.view).toMatchObject({ stalled: true });

    const final = await eventually(async () => {
      const row = await findVideo(h.orm.em.fork(), id);
      return row?.status === 'failed' ? row : undefined;
    }, { timeoutMs: 30_000 });
    expect(final).toMatchObject({ stalled: false, reprocessAttempts: 2, error: { code: 'TIMED_OUT' } });
    expect(final.error?.message).toMatch(/no progress, completion or failure for 2s \(processing\) after 2 reprocess attempts/);

    expect(commandsFor(id).map((c) => [c.type, c.id, c.data.attempt])).toEqual([
      ['vidproc.command.video.reprocess', `${id}:reprocess:1`, 1],
      ['vidproc.command.video.reprocess', `${id}:reprocess:2`, 2],
    ]);
    expect(commandsFor(id)[0]).toMatchObject({ specversion: '1.0', source: 'vidproc', data: { reason: expect.stringMatching(/stalled/) } });
    const alerts = await eventually(() => (alertsFor(id).length === 2 ? alertsFor(id) : undefined));
    expect(alerts.map((a) => a.kind)).toEqual(['video.stalled', 'video.timed_out']);
    expect(alerts[0]).toMatchObject({ videoId: id, userId: 'alice', status: 'processing', stalledSince: stalled.stalledSince });
    expect(alerts[0]!.text).toMatch(/^Video .* is stalled: .*\.$/);
    expect(alerts[1]).toMatchObject({ status: 'failed' });

    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.some((r) => r.type === 'vidproc.video.timed_out') ? rows : undefined;
    });
    expect(history.map((r) => r.type)).toEqual([
      'vidproc.video.uploaded',
      'vidproc.video.processing.started',
      'vidproc.video.stalled',
      'vidproc.command.video.reprocess',
      'vidproc.command.video.reprocess',
      'vidproc.video.timed_out',
    ]);
  });

  it('recovers when events come back, and says so', async () => {
    const id = uniqueId('recover');
    await videos.sendEvent(ev.uploaded(id, 'bob'));
    await eventually(async () => ((await view(id)).stalled ? true : undefined));
    await videos.sendEvent(ev.started(id));
    const moving = await eventually(async () => {
      const v = await view(id);
      return v.status === 'processing' && !v.stalled ? v : undefined;
    });
    expect(moving.stalledSince).toBeNull();
    const alerts = await eventually(() => (alertsFor(id).length >= 2 ? alertsFor(id) : undefined));
    expect(alerts.slice(0, 2).map((a) => [a.kind, a.status])).toEqual([
      ['video.stalled', 'uploaded'],
      ['video.recovered', 'processing'],
    ]);
    await videos.sendEvent(ev.completed(id));
  });

  it('retries the alert webhook when it fails', async () => {
    const id = uniqueId('hook');
    webhook.failNext(2, 503);
    await videos.sendEvent(ev.uploaded(id, 'carol'));
    const [alert] = await eventually(() => (alertsFor(id).length >= 1 ? alertsFor(id) : undefined), { timeoutMs: 20_000 });
    expect(alert).toMatchObject({ kind: 'video.stalled', status: 'uploaded' });
    await videos.sendEvent(ev.failed(id, 'E', 'done with this test'));
  });
});

describe('operator actions', () => {
  it('retry, extend and fail, each recorded with who did it; refused once the video is finished', async () => {
    const id = uniqueId('ops');
    await videos.sendEvent(ev.uploaded(id, 'dave'));
    await videos.sendEvent(ev.started(id));

    await videos.operate(id, { type: 'retry', by: 'ops-anna' });
    await eventually(() => (commandsFor(id).some((c) => c.data.reason === 'requested by an operator') ? true : undefined));
    await videos.operate(id, { type: 'extend', by: 'ops-anna', duration: '1h' });
    await expect(videos.operate(id, { type: 'extend', by: 'ops-anna', duration: 'soon' })).rejects.toThrow(OperatorActionRefusedError);
    const failed = await videos.operate(id, { type: 'fail', by: 'ops-ben', reason: 'source file is corrupt' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'FAILED_BY_OPERATOR', message: 'source file is corrupt' } });

    await expect(videos.operate(id, { type: 'retry', by: 'ops-anna' })).rejects.toThrow(/already failed/);
    const history = await eventually(async () => {
      const rows = await findHistory(h.orm.em.fork(), id);
      return rows.some((r) => r.type === 'vidproc.operator.fail') ? rows : undefined;
    });
    expect(history.filter((r) => r.type.startsWith('vidproc.operator.')).map((r) => [r.type, r.source])).toEqual([
      ['vidproc.operator.retry', 'operator:ops-anna'],
      ['vidproc.operator.extend', 'operator:ops-anna'],
      ['vidproc.operator.fail', 'operator:ops-ben'],
    ]);
    expect(history.find((r) => r.type === 'vidproc.operator.extend')?.reason).toMatch(/extended by 1h/);
    // The extension kept it from stalling: no stalled alert for this video.
    expect(alertsFor(id)).toEqual([]);
  });

  it('refuses actions on a video without a running workflow', async () => {
    await expect(videos.operate(uniqueId('none'), { type: 'retry', by: 'x' })).rejects.toThrow(/no running workflow/);
  });
});

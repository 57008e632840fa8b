/**
 * Stuck videos on the real Temporal dev server, on the real clock (deadlines of seconds), with a
 * real HTTP receiver for the alert webhook and the real RabbitMQ for the reprocess commands: the
 * whole schedule end to end, and the stalled video in Temporal visibility (what `vidproc videos
 * stuck` lists; the time-skipping test server has no visibility queries). The schedule's other
 * cases, with production's deadlines, run on the time-skipping server: stuck-schedule.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMMAND_TYPES } from '../../src/domain/events.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
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
});

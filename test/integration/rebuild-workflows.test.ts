/**
 * `vidproc rebuild-workflows` end to end, as after Temporal lost its persistence: videos in every
 * state and a webhook delivery being retried, on the real services (the dev server with a real
 * worker, RabbitMQ through the bridge, Postgres); then every one of their workflows is deleted
 * from Temporal (history and visibility gone, as with a lost persistence), the command (a real
 * process) rebuilds them from the projection, and events keep flowing: the open videos finish
 * right (nothing applied twice, no gap in their history, the stored stage deadline kept), the
 * finished ones are not restarted, the pending delivery is delivered.
 * Its own database: the command reads the whole projection, and the shared test database holds
 * other files' videos.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { createBridge, type Bridge } from '../../src/bridge/consumer.js';
import { ormConfig } from '../../src/db/config.js';
import { migrateDatabase } from '../../src/db/index.js';
import { findHistory, findVideo } from '../../src/db/video-store.js';
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { toView, type VideoState } from '../../src/domain/video.js';
import { rebuildWorkflows, type RebuildSummary } from '../../src/processes/rebuild-workflows.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { createWebhookGateway } from '../../src/temporal/webhook-gateway.js';
import { deliveryWorkflowIdFor, workflowIdFor } from '../../src/workflows/definitions.js';
import { runVidproc } from '../support/cli.js';
import { createEventPublisher, type EventPublisher } from '../support/event-publisher.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, testLogger, type TemporalHarness } from '../support/env.js';
import { startWebhooksApi, type Delivery, type WebhooksApi } from '../support/webhooks-api.js';

const databaseUrl = (() => {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `${url.pathname}_rebuild_${randomUUID().slice(0, 8)}`;
  return url.toString();
})();

let h: TemporalHarness;
let videos: VideoGateway;
let api: WebhooksApi;
let publisher: EventPublisher;
let bridge: Bridge;

beforeAll(async () => {
  await migrateDatabase(databaseUrl);
  h = await startHarness(
    testConfig({
      DATABASE_URL: databaseUrl,
      // The one video left `uploaded` stalls 8 s after its upload: after its workflow is lost. It then
      // stays stalled (a reprocess command every 8 s) rather than timing out within the test.
      STUCK_UPLOADED_AFTER: '8s',
      STUCK_PROCESSING_AFTER: '1h',
      MAX_REPROCESS: '100',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT: '2s',
      // A failed delivery waits an hour for its next attempt: only a rebuilt workflow delivers it in time.
      WEBHOOK_RETRY_INITIAL: '1h',
      WEBHOOK_RETRY_MAX_INTERVAL: '1h',
    }),
  );
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  api = await startWebhooksApi(h, videos, ['ann']);
  publisher = await createEventPublisher(h.config.AMQP_URL, h.config);
  bridge = createBridge({ config: h.config, gateway: videos, logger: testLogger });
  await bridge.start();
});
afterAll(async () => {
  await bridge?.stop();
  await publisher?.deleteTopology();
  await publisher?.close();
  await api?.close();
  await h?.stop();
  const orm = await MikroORM.init(ormConfig(databaseUrl));
  await orm.schema.dropDatabase();
  await orm.close(true);
});

const vidproc = (...args: string[]) =>
  runVidproc(['rebuild-workflows', ...args], {
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    TEMPORAL_TASK_QUEUE: h.config.TEMPORAL_TASK_QUEUE,
    DATABASE_URL: databaseUrl,
  });
const summaryOf = async (...args: string[]) => {
  const res = await vidproc(...args, '--json');
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(res.stdout) as RebuildSummary;
};

const stored = (id: string) => findVideo(h.orm.em.fork(), id);
const storedWhen = (id: string, ok: (video: VideoState) => boolean) =>
  eventually(async () => {
    const video = await stored(id);
    return video && ok(video) ? video : undefined;
  }, { timeoutMs: 30_000 });

const send = async (...events: VideoEvent[]) => {
  for (const event of events) publisher.publish(event);
  await publisher.confirm();
};

/** What a lost persistence leaves of a workflow: nothing (its history and its visibility record are deleted). */
async function lose(workflowId: string) {
  await h.client.workflowService.deleteWorkflowExecution({ namespace: h.client.options.namespace, workflowExecution: { workflowId } });
  await eventually(async () => ((await h.client.workflow.getHandle(workflowId).describe().then(() => false, () => true)) ? true : undefined));
}

describe('vidproc rebuild-workflows', () => {
  it('refuses what it cannot do, plainly', async () => {
    const finished = await vidproc('--status', 'completed');
    expect(finished.code).toBe(1);
    expect(finished.stderr).toMatch(/a completed video has no workflow to rebuild/);
    expect((await vidproc('--rate', '0')).stderr).toMatch(/--rate must be a number above 0/);
    expect((await vidproc('--resume', 'somewhere')).stderr).toMatch(/is not a resume point/);
  });

  it('rebuilds the open videos and pending deliveries from Postgres; events keep flowing; finished videos stay closed', async () => {
    const owner = api.user('ann');
    const { endpoint, receiver } = await api.subscribe('ann', ['video.completed']);
    receiver.failWith(500);

    const [processing, started, uploaded, completed, failed] = ['proc', 'start', 'upl', 'done', 'fail'].map((p) => uniqueId(`rebuild-${p}`)) as [string, string, string, string, string];
    const progress40 = ev.progress(processing, 40);
    await send(ev.uploaded(processing, owner), ev.started(processing), progress40);
    await send(ev.uploaded(started, owner), ev.started(started));
    await send(ev.uploaded(completed, owner), ev.started(completed), ev.completed(completed));
    await send(ev.uploaded(failed, owner), ev.failed(failed));
    const before = {
      [processing]: await storedWhen(processing, (v) => v.progress === 40),
      [started]: await storedWhen(started, (v) => v.status === 'processing'),
      [completed]: await storedWhen(completed, (v) => v.status === 'completed'),
      [failed]: await storedWhen(failed, (v) => v.status === 'failed'),
    };
    // The completed video's webhook failed once and waits an hour for its next attempt.
    const pending = await eventually(async () => {
      const { items } = await api.deliveriesOf('ann', endpoint.id);
      return items.find((d: Delivery) => d.status === 'pending' && d.attempts === 1);
    });
    // Last, so that its workflow is lost well before its deadline (8 s).
    await send(ev.uploaded(uploaded, owner));
    const uploadedBefore = await storedWhen(uploaded, (v) => v.status === 'uploaded' && v.deadline !== null);

    // Temporal's persistence is lost: every workflow of these videos, and the delivery's, is gone.
    for (const id of [uploaded, processing, started, completed, failed]) await lose(workflowIdFor(id));
    await lose(deliveryWorkflowIdFor(pending.id));
    receiver.failWith(null);

    const open = [processing, started, uploaded].sort();
    const dry = await summaryOf('--dry-run');
    expect(dry).toMatchObject({ dryRun: true, complete: true, resumeFrom: null, videos: { scanned: 3, started: 3, running: 0 }, deliveries: { scanned: 1, started: 1, running: 0 } });
    for (const id of open) expect(await videos.isRunning(id)).toBe(false);
    // Resumable: after the first open video, two remain.
    expect((await summaryOf('--dry-run', '--no-webhooks', '--resume', `video:${open[0]}`)).videos).toEqual({ scanned: 2, started: 2, running: 0 });

    const rebuilt = await summaryOf('--rate', '20');
    expect(rebuilt).toMatchObject({ dryRun: false, complete: true, videos: { scanned: 3, started: 3, running: 0 }, deliveries: { scanned: 1, started: 1, running: 0 } });
    for (const id of open) expect(await videos.isRunning(id)).toBe(true);
    for (const id of [completed, failed]) expect(await videos.isRunning(id)).toBe(false);
    // Each rebuilt workflow answers with what Postgres had (the same view, the same version).
    for (const id of [processing, started]) {
      const live = await videos.liveStatus(id, 5_000);
      expect(live).toEqual({ kind: 'live', view: toView(before[id]!) });
    }

    // Idempotent: a second run leaves the running workflows alone.
    const again = await summaryOf();
    expect(again.videos).toEqual({ scanned: 3, started: 0, running: 3 });
    expect(again.deliveries.started).toBe(0);
    const text = await vidproc('--no-webhooks');
    expect(text).toMatchObject({ code: 0, stdout: expect.stringMatching(/^videos: 3 open, 0 started, 3 already running; .*\ndone\n$/) });

    // The pending delivery went out on its rebuilt workflow (not an hour later), once.
    await eventually(() => (receiver.unique().some((r) => r.body.data.videoId === completed) ? true : undefined), { timeoutMs: 30_000 });
    await eventually(async () => {
      const { items } = await api.deliveriesOf('ann', endpoint.id);
      return items.find((d: Delivery) => d.id === pending.id && d.status === 'delivered');
    });

    // The `uploaded` video stalls at the deadline Postgres had, not one counted from the rebuild.
    const stalled = await storedWhen(uploaded, (v) => v.stalled);
    expect(stalled.stalledSince).toBe(uploadedBefore.deadline);

    // Events keep flowing through the bridge; a redelivered event from before the loss is not applied again.
    await send(progress40, ev.progress(processing, 80), ev.completed(processing));
    await send(ev.failed(started));
    await send(ev.started(uploaded), ev.completed(uploaded));
    for (const id of open) await storedWhen(id, (v) => v.status === (id === started ? 'failed' : 'completed'));

    for (const id of open) {
      const history = await findHistory(h.orm.em.fork(), id);
      expect(history.map((r) => r.seq)).toEqual(history.map((_, i) => i + 1));
      const applied = history.filter((r) => r.applied && !r.eventId.startsWith('vidproc:')).map((r) => r.eventId);
      expect(new Set(applied).size).toBe(applied.length);
    }
    const processingHistory = await findHistory(h.orm.em.fork(), processing);
    expect(processingHistory.filter((r) => r.eventId === progress40.id).map((r) => r.applied)).toEqual([true, false]);
    expect((await stored(processing))!.progress).toBe(100);
    const uploadedHistory = (await findHistory(h.orm.em.fork(), uploaded)).map((r) => r.type);
    expect(uploadedHistory).toEqual(expect.arrayContaining(['vidproc.video.stalled', 'vidproc.video.recovered']));

    // The finished videos were not touched: same rows, no workflow.
    for (const id of [completed, failed]) {
      expect(await stored(id)).toEqual(before[id]);
      expect(await videos.isRunning(id)).toBe(false);
    }
    // The rebuilt `processing` video completed: its webhook went out too, once.
    await eventually(() => (receiver.unique().some((r) => r.body.data.videoId === processing) ? true : undefined), { timeoutMs: 30_000 });
    expect(receiver.unique().filter((r) => r.body.data.videoId === completed)).toHaveLength(1);
  });

  it('stops when asked after the page in flight, and resumes from where it stopped', async () => {
    // Ids after every other test's (`zz-`), and a first run that starts after them all: other videos left open cannot count.
    const start = 'video:zz-rebuild-resume-' as const;
    const ids = ['a', 'b', 'c'].map((p) => uniqueId(`zz-rebuild-resume-${p}`)).sort();
    for (const id of ids) await send(ev.uploaded(id, api.user('ann')), ev.started(id));
    for (const id of ids) await storedWhen(id, (v) => v.status === 'processing');
    const deps = {
      em: () => h.orm.em.fork(),
      videos,
      deliveries: createWebhookGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE }),
    };
    const stop = new AbortController();
    const first = await rebuildWorkflows(deps, {
      statuses: ['processing'],
      resume: start,
      ratePerSecond: 100,
      pageSize: 1,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    // Their workflows run (the bridge started them): left alone.
    expect(first).toMatchObject({ complete: false, resumeFrom: `video:${ids[0]}`, videos: { scanned: 1, started: 0, running: 1 } });
    const rest = await rebuildWorkflows(deps, { statuses: ['processing'], ratePerSecond: 100, pageSize: 1, resume: first.resumeFrom });
    expect(rest).toMatchObject({ complete: true, resumeFrom: null, videos: { scanned: 2, started: 0, running: 2 } });
  });
});

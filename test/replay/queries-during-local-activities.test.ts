/**
 * New video workflows read again and again while they start (as clients poll a video they just
 * uploaded) still replay. A workflow task that carries queries, answered while a local activity's
 * result is waiting, is completed with the activity's marker and followed by a new task in which
 * the workflow hears the result (SDK core 1.24); replay hands the result over in the earlier task.
 * Before PATCHES_AT_START a patch first met just after the result then failed replay (see
 * src/workflows/patches.ts and test/faults/failing-cases/). The workflow runs on the real dev
 * server; its activities are in-memory stand-ins that answer at once, because what is under test is
 * where the SDK cuts the workflow's tasks, and only the timing of queries and results makes it cut.
 * (test/replay/histories/2026-11-29.query-during-load.json is such a cut, recorded by this test.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { VideoActivities } from '../../src/activities/index.js';
import { connectClient, connectWorker } from '../../src/temporal/connection.js';
import { createVideoGateway } from '../../src/temporal/video-gateway.js';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { testConfig } from '../support/env.js';
import { ev, uniqueId } from '../support/events.js';

const config = testConfig();
const taskQueue = `queried-${uniqueId()}`;
let connection: Awaited<ReturnType<typeof connectClient>>;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const policy = { uploadedAfterMs: 3_600_000, processingAfterMs: 3_600_000, repeatAfterMs: 3_600_000, maxReprocess: 0 };
const activities: Partial<VideoActivities> = {
  loadVideo: () => Promise.resolve({ stored: null, policy }),
  stallPolicy: () => Promise.resolve(policy),
  recordVideo: () => Promise.resolve({ written: true }),
  dispatchWebhookNotices: () => Promise.resolve({ deliveries: 0 }),
  dispatchWebhooks: () => Promise.resolve({ deliveries: 0 }),
};
const workflowBundle = { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! };

beforeAll(async () => {
  connection = await connectClient(config.temporal);
  native = await connectWorker(config.temporal);
  worker = await Worker.create({ connection: native, taskQueue, workflowBundle, activities });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.connection.close();
});

describe('video workflows queried while they start', () => {
  it('replay, wherever the SDK cut their tasks', async () => {
    const videos = createVideoGateway(connection.client, { taskQueue, workflowDefaults: { lingerMs: 60_000 } });
    const ids = Array.from({ length: 40 }, () => uniqueId());
    const query = (id: string) => connection.client.workflow.getHandle(workflowIdFor(id)).query(getStatusQuery).catch(() => undefined);
    let polling = true;
    // Four readers each asking every video in turn, from before its workflow exists.
    const readers = Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (polling) await Promise.all(ids.map(query));
      }),
    );
    for (const id of ids) {
      await videos.sendEvents([ev.uploaded(id, 'alice'), ev.started(id)]);
      await sleep(100);
    }
    polling = false;
    await readers;

    const failures: string[] = [];
    let cuts = 0;
    for (const id of ids) {
      const history = await connection.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const events = history.events ?? [];
      // A task completed with a local activity's marker last, and a new one scheduled at once: a cut.
      cuts += events.filter((e, i) => i > 0 && e.workflowTaskScheduledEventAttributes && events[i - 1]!.markerRecordedEventAttributes).length;
      await Worker.runReplayHistory({ workflowBundle }, history, workflowIdFor(id)).catch((err: unknown) => failures.push(`${id}: ${String(err).slice(0, 300)}`));
    }
    process.stdout.write(`queried while starting: ${ids.length} workflows, ${cuts} tasks cut after a local activity's marker\n`);
    expect(failures).toEqual([]);
  }, 120_000);
});

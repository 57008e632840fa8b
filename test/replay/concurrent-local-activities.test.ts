/**
 * A video workflow's projection write and webhook dispatch (two local activities) wanted at once,
 * with events arriving meanwhile, take turns, and replay. On SDK 1.24 core hands a task's local
 * activity results to the workflow in the order they finished, but on replay in the order they
 * were scheduled (temporalio/sdk-typescript#1744): run at once, a workflow whose next commands
 * depended on which came first did not replay (the fault suite's stuck videos after a worker was
 * killed; test/faults/failing-cases/). The workflow runs on the real dev server with in-memory
 * stand-ins for its activities, timed so that, run at once, the write would finish after the
 * dispatch (before LOCAL_ACTIVITIES_IN_TURN all 30 runs had markers out of order).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually } from '../support/env.js';
import { standInActivities, startStandInWorker, type StandInWorker } from '../support/stand-in-worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workflowBundle = { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! };

const completed = new Set<string>();
let worker: StandInWorker;
beforeAll(async () => {
  worker = await startStandInWorker(
    'concurrent-las',
    standInActivities({
      async recordVideo({ video }) {
        await sleep(40);
        if (video.status === 'completed') completed.add(video.videoId);
        return { written: true };
      },
      async dispatchWebhookNotices() {
        await sleep(2);
        return { deliveries: 0 };
      },
    }),
  );
});
afterAll(async () => {
  await worker?.stop();
});

describe('a write and a dispatch wanted together, events arriving meanwhile', () => {
  it('take turns (their markers in the order they were scheduled), and replay', async () => {
    const { videos, client } = worker;
    const ids = Array.from({ length: 30 }, () => uniqueId());
    await Promise.all(
      ids.map(async (id) => {
        await videos.sendEvent(ev.uploaded(id, 'alice'));
        await sleep(200);
        // One task: the write of both and the dispatch of `started` at once; the dispatch done,
        // the progress notice goes out while the write is still under way.
        await videos.sendEvents([ev.started(id), ev.progress(id, 40)]);
        await sleep(200);
        await videos.sendEvent(ev.completed(id));
      }),
    );
    await eventually(() => (ids.every((id) => completed.has(id)) ? true : undefined), { timeoutMs: 60_000 });

    const failures: string[] = [];
    let outOfOrder = 0;
    for (const id of ids) {
      const history = await client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const seqs = (history.events ?? [])
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
        .map((e) => (JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()) as { seq: number }).seq);
      if (seqs.some((seq, i) => i > 0 && seq < seqs[i - 1]!)) outOfOrder++;
      await Worker.runReplayHistory({ workflowBundle }, history, workflowIdFor(id)).catch((err: unknown) => failures.push(`${id}: ${String(err).slice(0, 300)}`));
    }
    process.stdout.write(`concurrent local activities: ${ids.length} workflows, ${outOfOrder} with markers out of order, ${failures.length} did not replay\n`);
    expect(failures).toEqual([]);
    // In turn (LOCAL_ACTIVITIES_IN_TURN): each result comes alone, in the order they were scheduled.
    expect(outOfOrder).toBe(0);
  }, 120_000);
});

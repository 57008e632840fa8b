/**
 * A video workflow whose projection write is slow and whose webhook dispatch is fast replays,
 * although the two local activities, run at once, finish out of the order they were scheduled in
 * (also across a workflow task the worker heartbeats while the write runs). The fault suite saw
 * histories that did not replay after killing the worker, with such out-of-order markers; this
 * pins down that the order alone is not the cause on this SDK (1.24).
 * The workflow runs on the real dev server; its activities are in-memory stand-ins, because what
 * is under test is the order of the workflow's own commands, and only timing makes it differ.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually } from '../support/env.js';
import { standInActivities, startStandInWorker, type StandInWorker } from '../support/stand-in-worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The second write outlasts a workflow task (the worker heartbeats the task and a new one starts),
 * dispatches take no time: without turns, a dispatch scheduled after that write finishes first.
 */
const writes: string[] = [];
const activities = standInActivities({
  async recordVideo({ video }) {
    await sleep(video.version === 2 ? 9_000 : 50);
    writes.push(`${video.videoId}@${video.version}`);
    return { written: true };
  },
});

let worker: StandInWorker;
beforeAll(async () => {
  worker = await startStandInWorker('local-lane', activities);
});
afterAll(async () => {
  await worker?.stop();
});

describe('local activities of one video workflow run at once', () => {
  it('finish out of order, and the history replays', async () => {
    const { videos, client } = worker;
    const id = uniqueId();
    await videos.sendEvents([ev.uploaded(id, 'alice'), ev.started(id)]);
    await sleep(100); // the first write is under way: the next changes' write and dispatch come while it runs
    await videos.sendEvents([ev.progress(id, 40), ev.completed(id)]);
    await eventually(() => (writes.some((w) => w.startsWith(`${id}@`) && w.endsWith('@4')) ? true : undefined));
    const handle = client.workflow.getHandle(workflowIdFor(id));
    // The local activities' markers, in the order they finished: some out of the order they were scheduled.
    const markers = async () => {
      const history = await handle.fetchHistory();
      const seqs = history
        .events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
        .map((e) => (JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()) as { seq: number }).seq);
      return { history, seqs };
    };
    // The last write is done in the worker; its task's completion (with the markers) may reach the server a moment later.
    const { history, seqs } = await eventually(async () => {
      const found = await markers();
      return found.seqs.length >= 5 ? found : undefined; // the load, two writes and two dispatches
    });
    expect(seqs.some((seq, i) => i > 0 && seq < seqs[i - 1]!)).toBe(true);
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! } }, history)).resolves.toBeUndefined();
  });
});

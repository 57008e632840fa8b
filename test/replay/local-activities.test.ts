/**
 * A video workflow whose projection write outlasts a workflow task (the worker heartbeats the task
 * while it runs) and whose webhook dispatch is fast: the dispatch waits for its turn
 * (LOCAL_ACTIVITIES_IN_TURN), across the heartbeated task too, and the history replays. Run at
 * once, as before that patch, the dispatch finished first (markers out of order); histories of
 * such runs are among test/replay/histories/ and still replay.
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
 * dispatches take no time: run at once, a dispatch scheduled after that write would finish first.
 */
const writes: string[] = [];
const writesStarted: string[] = [];
const activities = standInActivities({
  async recordVideo({ video }) {
    writesStarted.push(`${video.videoId}@${video.version}`);
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

describe('local activities of one video workflow take turns', () => {
  it('a dispatch waits for a write that outlasts a workflow task; the history replays', async () => {
    const { videos, client } = worker;
    const id = uniqueId();
    await videos.sendEvents([ev.uploaded(id, 'alice'), ev.started(id)]);
    // The first write is under way: the next changes' write and dispatch come while it runs.
    await eventually(() => (writesStarted.includes(`${id}@2`) ? true : undefined));
    await videos.sendEvents([ev.progress(id, 40), ev.completed(id)]);
    await eventually(() => (writes.some((w) => w.startsWith(`${id}@`) && w.endsWith('@4')) ? true : undefined));
    const handle = client.workflow.getHandle(workflowIdFor(id));
    // The local activities' markers, in the order they finished: in turn, the order they were scheduled.
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
      return found.seqs.length >= 3 ? found : undefined; // the two writes and the dispatch between them (in turn, the dispatches of both changes are one)
    });
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! } }, history)).resolves.toBeUndefined();
  });
});

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
import { Worker } from '@temporalio/worker';
import { getStatusQuery, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { standInActivities, startStandInWorker, type StandInWorker } from '../support/stand-in-worker.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const workflowBundle = { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! };

let worker: StandInWorker;
beforeAll(async () => {
  worker = await startStandInWorker('queried', standInActivities());
});
afterAll(async () => {
  await worker?.stop();
});

/** Four readers each asking every video in turn, from before its workflow exists, until `stop`. */
function pollAll(ids: string[]): { stop(): Promise<void> } {
  const query = (id: string) => worker.client.workflow.getHandle(workflowIdFor(id)).query(getStatusQuery).catch(() => undefined);
  let polling = true;
  const readers = Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (polling) await Promise.all(ids.map(query));
    }),
  );
  return {
    async stop() {
      polling = false;
      await readers;
    },
  };
}

/** Replays each video's history; the failures, and how many tasks were cut after a local activity's marker. */
async function replayEach(ids: string[]): Promise<{ failures: string[]; cuts: number }> {
  const failures: string[] = [];
  let cuts = 0;
  for (const id of ids) {
    const history = await worker.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    const events = history.events ?? [];
    // A task completed with a local activity's marker last, and a new one scheduled at once: a cut.
    cuts += events.filter((e, i) => i > 0 && e.workflowTaskScheduledEventAttributes && events[i - 1]!.markerRecordedEventAttributes).length;
    await Worker.runReplayHistory({ workflowBundle }, history, workflowIdFor(id)).catch((err: unknown) => failures.push(`${id}: ${String(err).slice(0, 300)}`));
  }
  return { failures, cuts };
}

describe('video workflows queried while they start', () => {
  it('replay, wherever the SDK cut their tasks', async () => {
    const ids = Array.from({ length: 40 }, () => uniqueId());
    const readers = pollAll(ids);
    for (const id of ids) {
      await worker.videos.sendEvents([ev.uploaded(id, 'alice'), ev.started(id)]);
      await sleep(100);
    }
    await readers.stop();
    const { failures, cuts } = await replayEach(ids);
    process.stdout.write(`queried while starting: ${ids.length} workflows, ${cuts} tasks cut after a local activity's marker\n`);
    expect(failures).toEqual([]);
  }, 120_000);
});

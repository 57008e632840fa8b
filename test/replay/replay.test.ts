/**
 * Replay safety: every recorded history (real runs, recorded by record-histories.ts from the code
 * of their day) must replay on today's workflow code. A change that running workflows would
 * notice fails here: put it behind patched() (see README, "Changing workflow code").
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { Sinks } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker, type InjectedSinks } from '@temporalio/worker';
import '../support/env.js'; // installs the SDK runtime with the test logger

const dir = fileURLToPath(new URL('./histories/', import.meta.url));

/** Replays every recorded history on a bundle; the files that failed, with why. */
async function replayAll(workflowBundle: { codePath: string } | { code: string }, sinks?: InjectedSinks<Sinks>): Promise<{ failures: Array<{ file: string; error: string }>; replayed: number; files: string[] }> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  async function* histories() {
    for (const file of files) {
      yield { workflowId: file, history: JSON.parse(await readFile(`${dir}${file}`, 'utf8')) as unknown };
    }
  }
  const failures: Array<{ file: string; error: string }> = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle, replayName: 'vidproc-replay-test', ...(sinks && { sinks }) }, histories())) {
    replayed++;
    if (result.error) failures.push({ file: result.workflowId, error: String(result.error) });
  }
  return { failures, replayed, files };
}

describe('recorded video workflow histories', () => {
  it('all replay on the current workflow code without a nondeterminism error', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    // The scenarios the suite promises to guard (see record-histories.ts).
    const guarded = ['happy-path', 'duplicates-out-of-order', 'stalled-reprocess-timed-out', 'stalled-recovered', 'operator-retry-extend-fail', 'continue-as-new'];
    for (const scenario of [...guarded, 'user-webhooks', 'user-webhooks-stalled', 'webhook-delivery', 'events-batch', 'stalled-paced-commands', 'alert-digest', 'projection-write-retried', 'query-during-load', 'patches-at-start', 'local-activities-in-turn', 'load-as-activity']) {
      expect(files.some((f) => f.includes(`.${scenario}.`))).toBe(true);
    }
    const { failures, replayed } = await replayAll({ codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! });
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('replay the same with the tracing interceptors in the bundle (tracing switched on for running workflows)', async () => {
    // Histories recorded without tracing, replayed with it: its spans and activity headers are no commands.
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
      workflowInterceptorModules: [fileURLToPath(new URL('../../src/tracing/workflow-interceptors.ts', import.meta.url))],
      logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
    });
    // The worker's sink for workflow spans (never called in replay).
    const { failures, replayed, files } = await replayAll({ code }, { exporter: { export: { fn: () => undefined } } });
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  }, 120_000);
});

/**
 * Replays one recorded workflow history on today's workflow code, and says whether it replays:
 *   node --import ./test/support/ts-hooks.mjs test/faults/replay-history.ts <history.json>
 * For the histories the fault suite found stuck (test/faults/failing-cases/README.md).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';

const file = process.argv[2];
if (!file) throw new Error('usage: replay-history.ts <history.json>');
const history = JSON.parse(await readFile(file, 'utf8')) as unknown;
try {
  await Worker.runReplayHistory({ workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)) }, history, file);
  process.stdout.write(`${file}: replays\n`);
} catch (err) {
  process.stdout.write(`${file}: does not replay: ${String(err)}\n`);
  process.exitCode = 1;
}

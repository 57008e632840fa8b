/**
 * `npm run test:faults`: the fault suite on this machine (test/faults/fault-run.ts), with `vidproc`
 * from dist/ (built by the npm script) and the prebuilt workflow bundle. Prints the report, writes
 * it as JSON, exits non-zero on any failure.
 *
 *   FAULTS_VIDEOS   videos (default 1000)            FAULTS              faults to inject, comma-separated (default all:
 *   FAULTS_RATE     videos starting per second           kill-api, kill-worker, kill-bridge, restart-rabbitmq,
 *                   (default: spread over the faults)     restart-postgres, restart-temporal)
 *   FAULTS_OUTAGE   how long a dependency is down (5s) FAULTS_GAP       undisturbed flow between faults (5s)
 *   FAULTS_DRAIN_TIMEOUT  how long the drain may take after the last publish (10m)
 *   FAULTS_REPORT   where the JSON goes (default: faults-report.json in the temp dir)
 *   FAULTS_KEEP=1   keep the private services' data and the processes' logs even when it passed
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../../src/domain/duration.js';
import { formatReport, parseFaults, runFaults } from './fault-run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'dist/main.js');
const bundle = join(root, 'dist/workflow-bundle.js');
if (!existsSync(main)) {
  process.stderr.write('test:faults: dist/main.js is missing; run `npm run build` first (npm run test:faults does)\n');
  process.exit(2);
}
const int = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${name}=${v} is not a positive number`);
  return n;
};
const duration = (name: string, fallback: string) => parseDuration(process.env[name]?.trim() || fallback);

const reportPath = process.env.FAULTS_REPORT ?? join(tmpdir(), 'faults-report.json');
const report = await runFaults({
  videos: Math.floor(int('FAULTS_VIDEOS', 1000)),
  faults: parseFaults(process.env.FAULTS),
  ...(process.env.FAULTS_RATE ? { videosPerSecond: int('FAULTS_RATE', 1) } : {}),
  outageMs: duration('FAULTS_OUTAGE', '5s'),
  gapMs: duration('FAULTS_GAP', '5s'),
  drainTimeoutMs: duration('FAULTS_DRAIN_TIMEOUT', '10m'),
  vidprocArgv: (command) => ['--no-warnings', main, command],
  ...(existsSync(bundle) ? { workflowBundlePath: bundle } : {}),
  keepDir: process.env.FAULTS_KEEP === '1',
});
await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\n${formatReport(report)}\n\nreport: ${reportPath}${report.failures.length ? `; data and logs kept in ${report.dir}` : ''}\n`);
process.exit(report.failures.length ? 1 : 0);

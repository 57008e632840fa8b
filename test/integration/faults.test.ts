/**
 * The fault suite (test/faults/fault-run.ts) at CI size: events flow through real api, worker and
 * bridge processes on a private Postgres, RabbitMQ and Temporal dev server while each process is
 * killed and each service restarted; then every video must end right in the API and in Postgres,
 * and while Postgres is down every video whose workflow was open must answer from it.
 * `npm run test:faults` runs the same at full size (1,000 videos) with a report.
 *
 *   FAULTS_CI_VIDEOS  videos (default 150)        FAULTS  faults to inject (default: all)
 */
import { describe, expect, it } from '@jest/globals';
import { formatReport, parseFaults, runFaults, type FaultReport } from '../faults/fault-run.js';
import { vidprocArgs } from '../support/cli.js';

const videos = Number(process.env.FAULTS_CI_VIDEOS ?? 150);
const faults = parseFaults(process.env.FAULTS);

describe('the fault suite, CI size', () => {
  it(`${videos} videos through ${faults.join(', ')}: nothing lost, nothing applied twice, nothing seen going backwards`, async () => {
    const lines: string[] = [];
    const report: FaultReport = await runFaults({
      videos,
      faults,
      vidprocArgv: (command) => vidprocArgs(command),
      ...(process.env.VIDPROC_TEST_WORKFLOW_BUNDLE ? { workflowBundlePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE } : {}),
      drainTimeoutMs: 5 * 60_000,
      log: (line) => void lines.push(line),
    });
    // What the run says about itself, for whoever reads a failure.
    if (report.failures.length > 0) process.stderr.write(`${lines.join('\n')}\n${formatReport(report)}\ndata and logs kept in ${report.dir}\n`);
    expect(report.failures).toEqual([]);
    expect(report.counts).toEqual({ lost: 0, eventsLost: 0, appliedTwice: 0, regressed: 0, gaps: 0, wrong: 0, apiMismatches: 0, deadLettered: 0 });
    expect(report.faults.map((f) => f.fault)).toEqual(faults);
    for (const fault of report.faults) expect({ fault: fault.fault, recovered: fault.recoveryMs !== null, error: fault.error }).toEqual({ fault: fault.fault, recovered: true, error: undefined });
    if (faults.includes('restart-postgres')) {
      expect(report.postgresDown?.openVideos).toBeGreaterThan(0);
      expect(report.postgresDown?.failed).toEqual([]);
      expect(report.postgresDown?.answered).toBe(report.postgresDown?.reads);
    }
    expect(report.exitsOnTheirOwn).toEqual([]);
  }, 20 * 60_000);
});

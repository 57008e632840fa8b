/**
 * Restoring after Temporal lost its persistence: `vidproc rebuild-workflows` starts again, from
 * the Postgres projection, the workflow of every video that is not finished and of every webhook
 * delivery still pending (src/processes/rebuild-workflows.ts). See the runbook's "Restore".
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { connectDatabase } from '../db/index.js';
import { VIDEO_STATUSES, type VideoStatus } from '../domain/video.js';
import { OPEN_STATUSES, parseResumeToken, rebuildWorkflows, type RebuildSummary } from '../processes/rebuild-workflows.js';
import { connectClient } from '../temporal/connection.js';
import { createVideoGateway } from '../temporal/video-gateway.js';
import { createWebhookGateway } from '../temporal/webhook-gateway.js';
import { CliError } from './cli-error.js';

interface RebuildFlags {
  dryRun?: boolean;
  status: string;
  rate: string;
  resume?: string;
  webhooks: boolean;
  json?: boolean;
}

function parseStatuses(text: string): VideoStatus[] {
  const statuses = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const status of statuses) {
    if (!(VIDEO_STATUSES as readonly string[]).includes(status)) throw new CliError(`"${status}" is not a video status`);
    if (!(OPEN_STATUSES as readonly string[]).includes(status)) throw new CliError(`a ${status} video has no workflow to rebuild: choose among ${OPEN_STATUSES.join(', ')}`);
  }
  if (statuses.length === 0) throw new CliError(`say which statuses: ${OPEN_STATUSES.join(', ')}`);
  return statuses as VideoStatus[];
}

const line = (s: RebuildSummary) => {
  const verb = s.dryRun ? 'would start' : 'started';
  return (
    `videos: ${s.videos.scanned} open, ${s.videos.started} ${verb}, ${s.videos.running} already running; ` +
    `webhook deliveries: ${s.deliveries.scanned} pending, ${s.deliveries.started} ${verb}, ${s.deliveries.running} with a workflow already`
  );
};

export function addRestoreCommands(program: Command): void {
  program
    .command('rebuild-workflows')
    .description("start again, from Postgres, the workflows of open videos and pending webhook deliveries (after Temporal's persistence was lost)")
    .option('--dry-run', 'only count what would be started: start nothing')
    .option('--status <list>', `which open videos (comma-separated: ${OPEN_STATUSES.join(', ')})`, OPEN_STATUSES.join(','))
    .option('--rate <n>', 'calls to Temporal a second, at most', '50')
    .option('--resume <token>', 'carry on after where a stopped run was (the `resumeFrom` it printed)')
    .option('--no-webhooks', 'leave the webhook deliveries out')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: RebuildFlags) => {
      const statuses = parseStatuses(flags.status);
      const rate = Number(flags.rate);
      if (!Number.isFinite(rate) || rate <= 0) throw new CliError(`--rate must be a number above 0, not "${flags.rate}"`);
      const resume = flags.resume === undefined ? null : parseResumeToken(flags.resume);
      if (flags.resume !== undefined && resume === null) throw new CliError(`"${flags.resume}" is not a resume point (video:<id> or delivery:<id>)`);
      if (resume?.startsWith('delivery:') && !flags.webhooks) throw new CliError('that resume point is in the webhook deliveries, which --no-webhooks leaves out');

      const cfg = loadConfig();
      const orm = await connectDatabase(cfg.DATABASE_URL);
      const { connection, client } = await connectClient(cfg.temporal);
      // Stop cleanly on Ctrl-C: the page in flight finishes, the summary says where to resume.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      let lastReport = Date.now();
      try {
        const summary = await rebuildWorkflows(
          {
            em: () => orm.em.fork(),
            videos: createVideoGateway(client, { taskQueue: cfg.temporal.taskQueue }),
            deliveries: createWebhookGateway(client, { taskQueue: cfg.temporal.taskQueue }),
          },
          {
            statuses,
            dryRun: flags.dryRun ?? false,
            ratePerSecond: rate,
            resume,
            webhooks: flags.webhooks,
            signal: stop.signal,
            // A line every 5 s on stderr while it runs (a short run prints none).
            onProgress: (s) => {
              if (Date.now() - lastReport < 5_000) return;
              lastReport = Date.now();
              process.stderr.write(`${line(s)} (at ${s.resumeFrom})\n`);
            },
          },
        );
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `${line(summary)}\n${summary.complete ? 'done' : `stopped${summary.error ? `: ${summary.error}` : ''}; ${summary.resumeFrom ? `resume with --resume ${summary.resumeFrom}` : 'run it again'}`}\n`,
        );
        if (!summary.complete) throw new CliError(summary.error ? `stopped: ${summary.error}` : 'stopped before the end');
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
        await connection.close();
        await orm.close(true);
      }
    });
}

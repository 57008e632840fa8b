/**
 * The operator's tools: stalled videos, the operator actions on one video (driven by the domain's
 * OPERATOR_REQUESTS, recorded in the video's history with who did it), and the dead-letter queue.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { listDeadLetters, replayDeadLetters } from '../amqp/dead-letters.js';
import { loadConfig } from '../config/env.js';
import { OPERATOR_ACTION_TYPES } from '../domain/operator-actions.js';
import { OPERATOR_REQUESTS, type OperatorRequest } from '../domain/operator-requests.js';
import type { VideoView } from '../domain/video.js';
import { connectClient } from '../temporal/connection.js';
import { createVideoGateway, OperatorActionRefusedError, type VideoGateway } from '../temporal/video-gateway.js';
import { CliError } from './cli-error.js';

/** Who is acting, for the video's history: --by, else VIDPROC_OPERATOR, else the OS user. */
const operatorName = (by?: string) => by ?? process.env.VIDPROC_OPERATOR ?? userInfo().username;

async function withGateway<T>(use: (videos: VideoGateway) => Promise<T>): Promise<T> {
  const { temporal } = loadConfig();
  const { connection, client } = await connectClient(temporal);
  try {
    return await use(createVideoGateway(client, { taskQueue: temporal.taskQueue }));
  } catch (err) {
    if (err instanceof OperatorActionRefusedError) throw new CliError(err.message);
    throw err;
  } finally {
    await connection.close();
  }
}

const print = (json: boolean | undefined, value: unknown, text: () => string) =>
  process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text()}\n`);

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
};

export function addOperatorCommands(program: Command): void {
  program
    .command('videos')
    .description('lists of videos')
    .command('stuck')
    .description('stalled videos (Temporal visibility: VideoStalled = true)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withGateway(async (videos) => {
        const stalled = await videos.listStalled();
        print(opts.json, stalled, () =>
          stalled.length === 0
            ? 'no stalled videos'
            : table([
                ['VIDEO', 'STATUS', 'STALLED SINCE', 'USER'],
                ...stalled.map(({ videoId, view }) => [videoId, view?.status ?? '?', view?.stalledSince ?? '?', view?.userId ?? '-']),
              ]),
        );
      }),
    );

  const video = program.command('video').description("operator actions on one video (recorded in its history with who did it)");
  const by = ['--by <name>', 'who is acting (default: $VIDPROC_OPERATOR or the OS user)'] as const;
  const showView = (view: VideoView) => `${view.videoId}: ${view.status}${view.stalled ? ` (stalled since ${view.stalledSince})` : ''}`;
  for (const type of OPERATOR_ACTION_TYPES) {
    const { summary, fields, positional } = OPERATOR_REQUESTS[type] as { summary: string; fields: Record<string, { description?: string }>; positional?: string };
    const command = video.command(type).description(summary).argument('<videoId>');
    if (positional) command.argument(`<${positional}>`, fields[positional]?.description);
    for (const [name, field] of Object.entries(fields)) {
      if (name !== positional) command.requiredOption(`--${name} <${name}>`, field.description);
    }
    command.option(...by).action((videoId: string, ...rest: unknown[]) => {
      const opts = rest[positional ? 1 : 0] as { by?: string } & Record<string, string>;
      const request = { ...opts, ...(positional ? { [positional]: rest[0] } : {}), type, by: operatorName(opts.by) } as OperatorRequest;
      return withGateway(async (videos) => showResult(await videos.operate(videoId, request)));
    });
  }
  function showResult(view: VideoView) {
    process.stdout.write(`${showView(view)}\n`);
  }

  const dlq = program.command('dlq').description('the dead-letter queue');
  dlq
    .command('list')
    .description('each dead-lettered message with its reason')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig();
      const letters = await listDeadLetters(cfg.AMQP_URL, cfg);
      print(opts.json, letters, () =>
        letters.length === 0
          ? 'the dead-letter queue is empty'
          : letters
              .map((l) => `#${l.n}  ${l.routingKey}  ${l.deadLetteredAt ?? ''}\n    reason: ${l.reason}\n    body:   ${l.body.length > 300 ? `${l.body.slice(0, 300)}...` : l.body}`)
              .join('\n'),
      );
    });
  dlq
    .command('replay')
    .description('put dead-lettered messages back on the events exchange (after a fix)')
    .argument('[n...]', 'positions as `vidproc dlq list` shows them')
    .option('--all', 'every message in the dead-letter queue')
    .action(async (positions: string[], opts: { all?: boolean }) => {
      const cfg = loadConfig();
      if (!opts.all && positions.length === 0) throw new CliError('say which messages: --all, or their numbers from `vidproc dlq list`');
      const numbers = positions.map((p) => {
        const n = Number(p);
        if (!Number.isInteger(n) || n < 1) throw new CliError(`"${p}" is not a message number`);
        return n;
      });
      const replayed = await replayDeadLetters(cfg.AMQP_URL, cfg, opts.all ? 'all' : numbers);
      const missing = numbers.filter((n) => !replayed.some((l) => l.n === n));
      process.stdout.write(`replayed ${replayed.length} message${replayed.length === 1 ? '' : 's'}\n`);
      if (missing.length > 0) throw new CliError(`no dead letter #${missing.join(', #')}`);
    });
}

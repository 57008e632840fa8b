/**
 * `vidproc`: one executable, one subcommand per process type.
 *   dev      everything on one machine: embedded Temporal (with Web UI), migrations, worker, bridge, API
 *   api      the HTTP API              worker   the Temporal worker
 *   bridge   RabbitMQ -> Temporal      migrate  create the database if missing, apply migrations
 *   token    mint a HS256 bearer token from AUTH_JWT_SECRET (development, tests)
 * and the operator's tools:
 *   videos stuck | video retry|fail|extend <id> | dlq list|replay
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { signDevToken, OPERATOR_ROLE } from './api/lib/auth.js';
import { ConfigError, DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config } from './config/env.js';
import { migrateDatabase } from './db/index.js';
import { createLogger, type Logger } from './logger.js';
import { startApi, startBridge, startWorker, type Fatal, type Running } from './services.js';
import { listDeadLetters, replayDeadLetters } from './amqp/dead-letters.js';
import { OPERATOR_ACTION_TYPES, OPERATOR_ACTIONS, type OperatorRequest } from './domain/operator-actions.js';
import type { VideoView } from './domain/video.js';
import { connectClient } from './temporal/connection.js';
import { startDevServer } from './temporal/dev-server.js';
import { createVideoGateway, OperatorActionRefusedError, type VideoGateway } from './temporal/videos.js';
import { installTemporalRuntime } from './temporal/runtime.js';

/**
 * Starts the parts in order, runs until SIGTERM/SIGINT (or a part fails), then stops what
 * started in reverse order. A signal during start-up stops at once; a second signal exits.
 */
async function runUntilSignal(logger: Logger, parts: Array<(fatal: Fatal) => Promise<Running>>, banner?: (running: Running[]) => void) {
  const running: Running[] = [];
  let requested: { reason: string; failed: boolean } | undefined;
  let wake: (r: { reason: string; failed: boolean }) => void = () => {};
  const stopRequested = new Promise<{ reason: string; failed: boolean }>((resolve) => (wake = resolve));
  const request = (reason: string, failed: boolean) => {
    if (requested) return;
    requested = { reason, failed };
    wake(requested);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (requested) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      request(signal, false);
    });
  }
  const fatal: Fatal = (reason) => request(reason, true);

  try {
    for (const start of parts) {
      // A start that waits on a dependency (a broker that is down) must not hold up a stop.
      const part = await Promise.race([start(fatal), stopRequested.then(() => undefined)]);
      if (!part) break;
      running.push(part);
    }
  } catch (err) {
    request('start-up failed', true);
    logger.error({ err }, 'start-up failed');
  }
  if (!requested) banner?.(running);
  const { reason, failed } = await stopRequested;
  logger.info({ reason }, 'shutting down');
  for (const part of running.reverse()) {
    try {
      await part.stop();
    } catch (err) {
      logger.error({ err }, 'error while stopping');
    }
  }
  logger.info('stopped');
  // Whatever was still starting (and holds the event loop) is abandoned.
  process.exit(failed ? 1 : 0);
}

function config(): Config {
  return loadConfig(process.env);
}

const program = new Command('vidproc')
  .description('Video status tracker on Temporal: RabbitMQ events in, REST API out.')
  .showHelpAfterError();

program
  .command('migrate')
  .description('create the database if it is missing and apply pending migrations')
  .action(async () => {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL);
    const applied = await migrateDatabase(cfg.DATABASE_URL);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
  });

for (const [name, description, start] of [
  ['worker', 'run the Temporal worker (video workflows and their activities)', startWorker],
  ['bridge', 'consume processing events from RabbitMQ and signal the video workflows', startBridge],
  ['api', 'serve the HTTP API', startApi],
] as const) {
  program
    .command(name)
    .description(description)
    .action(async () => {
      const cfg = config();
      const logger = createLogger(cfg.LOG_LEVEL).child({ process: name });
      const address = cfg.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS;
      await runUntilSignal(logger, [(fatal) => start(cfg, address, logger, fatal)]);
    });
}

program
  .command('dev')
  .description('run everything for one machine: embedded Temporal + Web UI (unless TEMPORAL_ADDRESS is set), worker, bridge, API')
  .action(async () => {
    const cfg = config();
    const logger = createLogger(cfg.LOG_LEVEL).child({ process: 'dev' });
    installTemporalRuntime(logger); // before the dev server, which would install a default one
    const devSecret = !cfg.AUTH_JWT_SECRET && !cfg.AUTH_JWKS_URL;
    if (devSecret) cfg.AUTH_JWT_SECRET = randomBytes(32).toString('base64url');

    let address = cfg.TEMPORAL_ADDRESS;
    let uiUrl: string | undefined;
    const parts: Array<(fatal: Fatal) => Promise<Running>> = [];
    if (!address) {
      parts.push(async () => {
        const server = await startDevServer({
          cliPath: cfg.TEMPORAL_CLI_PATH,
          ip: '127.0.0.1',
          port: 7233,
          ui: true,
          uiPort: 8233,
          namespace: cfg.TEMPORAL_NAMESPACE,
        });
        address = server.address;
        uiUrl = server.uiUrl;
        return { describe: { temporal: address, 'temporal web ui': uiUrl ?? '' }, stop: () => server.stop() };
      });
    }
    parts.push(async () => {
      const applied = await migrateDatabase(cfg.DATABASE_URL);
      logger.info({ applied }, 'database ready');
      return { describe: { postgres: cfg.DATABASE_URL.replace(/:[^:@/]*@/, ':***@') }, stop: async () => {} };
    });
    parts.push((fatal) => startWorker(cfg, address ?? DEFAULT_TEMPORAL_ADDRESS, logger, fatal));
    parts.push(() => startBridge(cfg, address ?? DEFAULT_TEMPORAL_ADDRESS, logger));
    parts.push(() => startApi(cfg, address ?? DEFAULT_TEMPORAL_ADDRESS, logger));

    const token = devSecret ? await signDevToken(cfg.AUTH_JWT_SECRET!, 'dev-user', [OPERATOR_ROLE]) : undefined;
    await runUntilSignal(logger, parts, (running) => {
      const where = Object.assign({}, ...running.map((r) => r.describe)) as Record<string, string>;
      const lines = [
        '',
        'vidproc is running:',
        ...Object.entries(where).map(([k, v]) => `  ${k.padEnd(16)} ${v}`),
      ];
      if (token) {
        lines.push(
          '',
          'Dev token (user "dev-user", operator; valid 12h, signed with a secret made for this run):',
          `  export TOKEN=${token}`,
          'Try:',
          `  curl -s -X POST ${where.api}/v1/videos -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"videoId":"demo-1","fileName":"demo.mp4"}'`,
          `  curl -s ${where.api}/v1/videos/demo-1 -H "Authorization: Bearer $TOKEN"`,
        );
      }
      lines.push('', 'Stop with Ctrl-C.', '');
      process.stdout.write(lines.join('\n'));
    });
  });

/** Who is acting, for the video's history: --by, else VIDPROC_OPERATOR, else the OS user. */
const operatorName = (by?: string) => by ?? process.env.VIDPROC_OPERATOR ?? userInfo().username;

/** A refusal or a usage problem: said plainly on stderr, exit 1. */
class CliError extends Error {
  override name = 'CliError';
}

async function withGateway<T>(use: (videos: VideoGateway) => Promise<T>): Promise<T> {
  const cfg = config();
  const { connection, client } = await connectClient({ ...cfg, address: cfg.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS });
  try {
    return await use(createVideoGateway(client, { taskQueue: cfg.TEMPORAL_TASK_QUEUE }));
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
  const { summary, fields, positional } = OPERATOR_ACTIONS[type] as { summary: string; fields: Record<string, { description?: string }>; positional?: string };
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
    const cfg = config();
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
    const cfg = config();
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

program
  .command('token')
  .description('print a HS256 bearer token signed with AUTH_JWT_SECRET')
  .argument('<sub>', 'the user id (token subject)')
  .option('--operator', 'grant the operator role (reads every video)')
  .option('--expires <duration>', 'lifetime, e.g. 1h, 7d', '12h')
  .action(async (sub: string, opts: { operator?: boolean; expires: string }) => {
    const cfg = config();
    if (!cfg.AUTH_JWT_SECRET) throw new ConfigError('AUTH_JWT_SECRET is not set');
    process.stdout.write(`${await signDevToken(cfg.AUTH_JWT_SECRET, sub, opts.operator ? [OPERATOR_ROLE] : [], opts.expires)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`vidproc: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof CliError) {
    process.stderr.write(`vidproc: ${err.message}\n`);
    process.exit(1);
  }
  createLogger('error').fatal({ err }, 'vidproc failed');
  process.exit(1);
}

/**
 * `vidproc`: one executable, one subcommand per process type.
 *   dev      everything on one machine: embedded Temporal (with Web UI), migrations, worker, bridge, API
 *   api      the HTTP API              worker   the Temporal worker
 *   bridge   RabbitMQ -> Temporal      migrate  create the database if missing, apply migrations
 *   token    mint a HS256 bearer token from AUTH_JWT_SECRET (development, tests)
 */
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { signDevToken, OPERATOR_ROLE } from './api/lib/auth.js';
import { ConfigError, DEFAULT_TEMPORAL_ADDRESS, loadConfig, type Config } from './config/env.js';
import { migrateDatabase } from './db/index.js';
import { createLogger, type Logger } from './logger.js';
import { startApi, startBridge, startWorker, type Fatal, type Running } from './services.js';
import { startDevServer } from './temporal/dev-server.js';
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
  createLogger('error').fatal({ err }, 'vidproc failed');
  process.exit(1);
}

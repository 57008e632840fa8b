/** The serving commands: one per process type, `dev` for all of them at once, and their set-up tools. */
import type { Command } from 'commander';
import { OPERATOR_ROLE, signDevToken } from '../api/lib/auth.js';
import { ConfigError, loadConfig } from '../config/env.js';
import { migrateDatabase } from '../db/index.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { createLogger } from '../logger.js';
import { startMetricsServer } from '../metrics/server.js';
import { startApi } from '../processes/api.js';
import { startBridge } from '../processes/bridge.js';
import { traceProcess } from '../processes/tracing.js';
import { startWorker } from '../processes/worker.js';
import { runDev } from './dev.js';
import { runUntilSignal } from './supervisor.js';

export function addServingCommands(program: Command): void {
  program
    .command('migrate')
    .description('create the database if it is missing and apply pending migrations')
    .action(async () => {
      const cfg = loadConfig();
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
        const cfg = loadConfig();
        const logger = createLogger(cfg.LOG_LEVEL).child({ process: name });
        const tracing = await traceProcess(name, logger); // first in, last out (OTEL_* set: traced)
        const metrics = cfg.metrics.enabled ? [() => startMetricsServer(cfg, logger)] : [];
        await runUntilSignal(logger, [() => Promise.resolve(tracing), ...metrics, (fatal) => start(cfg, logger, fatal)], { shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT });
      });
  }

  program
    .command('dev')
    .description('run everything for one machine: embedded Temporal + Web UI (unless TEMPORAL_ADDRESS is set), worker, bridge, API')
    .action(runDev);

  program
    .command('token')
    .description('print a HS256 bearer token signed with AUTH_JWT_SECRET')
    .argument('<sub>', 'the user id (token subject)')
    .option('--operator', 'grant the operator role (reads every video)')
    .option('--expires <duration>', 'lifetime, e.g. 1h, 12h (at most AUTH_MAX_TOKEN_LIFETIME)', '12h')
    .action(async (sub: string, opts: { operator?: boolean; expires: string }) => {
      const cfg = loadConfig();
      if (!cfg.AUTH_JWT_SECRET) throw new ConfigError('AUTH_JWT_SECRET is not set');
      // The API refuses a token that lives longer: do not print one.
      if (parseDuration(opts.expires) > cfg.AUTH_MAX_TOKEN_LIFETIME) {
        throw new ConfigError(`--expires ${opts.expires} is longer than AUTH_MAX_TOKEN_LIFETIME (${formatDuration(cfg.AUTH_MAX_TOKEN_LIFETIME)}): the API would refuse the token`);
      }
      process.stdout.write(`${await signDevToken(cfg.AUTH_JWT_SECRET, sub, opts.operator ? [OPERATOR_ROLE] : [], opts.expires)}\n`);
    });
}

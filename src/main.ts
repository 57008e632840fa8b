/**
 * `vidproc`: one executable, one subcommand per process type.
 *   dev      everything on one machine: embedded Temporal (with Web UI), migrations, worker, bridge, API
 *   api      the HTTP API              worker   the Temporal worker
 *   bridge   RabbitMQ -> Temporal      migrate  create the database if missing, apply migrations
 *   token    mint a HS256 bearer token from AUTH_JWT_SECRET (development, tests)
 * and the operator's tools:
 *   videos stuck | video retry|fail|extend <id> | dlq list|replay | queues migrate
 *   rebuild-workflows   start again, from Postgres, the workflows Temporal lost
 */
import { Command } from 'commander';
import { CliError } from './cli/cli-error.js';
import { addOperatorCommands } from './cli/operate.js';
import { addRestoreCommands } from './cli/restore.js';
import { addQueueCommands } from './cli/queues.js';
import { addServingCommands } from './cli/serve.js';
import { ConfigError } from './config/env.js';
import { createLogger } from './logger.js';

const program = new Command('vidproc')
  .description('Video status tracker on Temporal: RabbitMQ events in, REST API out.')
  .showHelpAfterError();
addServingCommands(program);
addOperatorCommands(program);
addRestoreCommands(program);
addQueueCommands(program);

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

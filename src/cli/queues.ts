/** The broker's queues: `vidproc queues migrate` moves a deployment from the classic queues to the quorum ones. */
import type { Command } from 'commander';
import { migrateQueues, QueueMigrationRefusedError } from '../amqp/queue-migration.js';
import { loadConfig } from '../config/env.js';
import { CliError } from './cli-error.js';

export function addQueueCommands(program: Command): void {
  program
    .command('queues')
    .description("the bridge's RabbitMQ queues")
    .command('migrate')
    .description('move the classic queues of an earlier release to the quorum queues (stop the bridges first; see docs/operations.md)')
    .action(async () => {
      const cfg = loadConfig();
      try {
        const report = await migrateQueues(cfg.AMQP_URL, cfg, (line) => process.stdout.write(`${line}\n`));
        if (report.found.length === 0) process.stdout.write('no classic queues: nothing to move\n');
      } catch (err) {
        if (err instanceof QueueMigrationRefusedError) throw new CliError(err.message);
        throw err;
      }
    });
}

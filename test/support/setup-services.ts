/**
 * Starts what the integration tests share: a Temporal dev server (the real one, from the
 * Temporal CLI), a freshly migrated Postgres database, and the workflow bundle (built once).
 * Postgres and RabbitMQ themselves are the machine's (see .ci/run).
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/db/config.js';
import { migrateDatabase } from '../../src/db/index.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';

declare global {
  var __vidprocDevServer: DevServer | undefined;
}

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vidproc_test';

export async function setupServices(): Promise<void> {
  // A clean database per run: dropped, then created and migrated the way `vidproc migrate` does it.
  const orm = await MikroORM.init(ormConfig(TEST_DATABASE_URL));
  await orm.schema.dropDatabase();
  await orm.close(true);
  await migrateDatabase(TEST_DATABASE_URL);
  process.env.DATABASE_URL = TEST_DATABASE_URL;
  // The processes the tests start (several at once) each serve their metrics on a free loopback port.
  process.env.METRICS_PORT ??= '0';
  process.env.METRICS_HOST ??= '127.0.0.1';

  const [server, bundle] = await Promise.all([
    startDevServer({ cliPath: process.env.TEMPORAL_CLI_PATH }),
    bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)),
      logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
    }),
  ]);
  globalThis.__vidprocDevServer = server;
  process.env.TEMPORAL_ADDRESS = server.address;

  const bundlePath = join(tmpdir(), `vidproc-workflow-bundle-${process.pid}.js`);
  await writeFile(bundlePath, bundle.code);
  process.env.VIDPROC_TEST_WORKFLOW_BUNDLE = bundlePath;
}

export async function teardownServices(): Promise<void> {
  await globalThis.__vidprocDevServer?.stop();
  if (process.env.VIDPROC_TEST_WORKFLOW_BUNDLE) await rm(process.env.VIDPROC_TEST_WORKFLOW_BUNDLE, { force: true });
}

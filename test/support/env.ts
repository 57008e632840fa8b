/**
 * What an integration test needs: the shared dev server and database (from global-setup), a
 * real worker on a task queue of its own, and a client.
 */
import { randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { connect } from 'amqplib';
import { connectDatabase, type Orm } from '../../src/db/index.js';
import { loadConfig, type Config } from '../../src/config/env.js';
import { buildVideoWorker } from '../../src/processes/worker.js';
import type { VideoWorker } from '../../src/temporal/worker.js';
import { connectClient } from '../../src/temporal/connection.js';
import { createLogger } from '../../src/logger.js';
import { installTemporalRuntime } from '../../src/temporal/runtime.js';

export const testLogger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'error'));

export function testConfig(overrides: Record<string, string> = {}): Config {
  const suffix = randomUUID().slice(0, 8);
  return loadConfig({
    ...process.env,
    TEMPORAL_TASK_QUEUE: `test-${suffix}`,
    AMQP_EXCHANGE: `test.events.${suffix}`,
    AMQP_QUEUE: `test.tracker.${suffix}`,
    AUTH_JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    ...(process.env.VIDPROC_TEST_WORKFLOW_BUNDLE ? { WORKFLOW_BUNDLE_PATH: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE } : {}),
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}

export interface TemporalHarness {
  orm: Orm;
  client: Awaited<ReturnType<typeof connectClient>>['client'];
  connection: Awaited<ReturnType<typeof connectClient>>['connection'];
  worker: VideoWorker;
  config: Config;
  stop(): Promise<void>;
}

/** A Temporal server the test owns (a `TestWorkflowEnvironment`): its address, client and connection. */
export interface TemporalServer {
  address: string;
  client: Client;
  connection: Connection;
}

/**
 * A real worker and client against the test database and the shared dev server, or `server`
 * (say, a time-skipping one, whose client and connection stay open: their owner closes them).
 * The worker is built by the function `vidproc worker` uses (src/processes/worker.ts), from the
 * test's config (which points at the prebuilt test bundle).
 */
export async function startHarness(config: Config = testConfig(), server?: TemporalServer): Promise<TemporalHarness> {
  if (server) config = { ...config, temporal: { ...config.temporal, address: server.address } };
  const orm = await connectDatabase(config.DATABASE_URL);
  const { connection, client } = server ?? (await connectClient(config.temporal));
  const { worker, close } = await buildVideoWorker(config, testLogger);
  const running = worker.run();
  return {
    orm,
    client,
    connection,
    worker,
    config,
    async stop() {
      worker.shutdown();
      await running;
      await close();
      await removeExchange(config);
      if (!server) await connection.close();
      await orm.close(true);
    },
  };
}

/** Deletes the test's events exchange (declared by the worker's command publisher) if nothing uses it any more. */
async function removeExchange(config: Config): Promise<void> {
  const model = await connect(config.AMQP_URL);
  try {
    await (await model.createChannel()).deleteExchange(config.AMQP_EXCHANGE, { ifUnused: true });
  } catch {
    // still bound (a test keeps its topology) or already gone: leave it
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, { timeoutMs = 15_000, everyMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

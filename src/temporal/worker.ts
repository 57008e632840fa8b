/**
 * The worker: runs video workflows (and their webhook deliveries and alert digests) and the
 * activities that write the projection; and, on the command task queue, the reprocess commands,
 * which the server hands out at REPROCESS_RATE a second for all workers together.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { tracedActivityOptions, tracedWorkerOptions } from '../tracing/temporal.js';
import { commandTaskQueueFor } from '../workflows/definitions.js';
import { instrumentActivities } from '../metrics/worker.js';

/** Compiled workflow entry point (bundled by the worker at start-up). */
export const workflowsPath = fileURLToPath(new URL('../workflows/index.js', import.meta.url));

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxCachedWorkflows'
  | 'workflowThreadPoolSize'
>;

export interface VideoWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (from `bundleWorkflowCode`); else the workflows are bundled now. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Where the workflows are, when bundling now (defaults to the compiled ones). */
  workflowsPath?: string;
  /** Worker tuning passed through (concurrency, cache size): see src/config/worker-sizing.ts. */
  tuning?: WorkerTuning;
  /** Reprocess commands a second, all workers together (REPROCESS_RATE). */
  reprocessRate: number;
}

/** The SDK workers of one worker process, run and shut down together. */
export interface VideoWorker {
  /** Resolves when all have stopped; rejects when one fails (the others are shut down). */
  run(): Promise<void>;
  shutdown(): void;
}

/** At most this many reprocess commands in flight per worker (each is one publish with a confirm). */
const COMMAND_CONCURRENCY = 10;

export async function createVideoWorker(options: VideoWorkerOptions): Promise<VideoWorker> {
  const { connection, namespace, taskQueue, store, policy, commands, alerts, webhooks } = options;
  const activities = instrumentActivities(createActivities({ store, policy, commands, alerts, webhooks }));
  const code = options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: options.workflowsPath ?? workflowsPath };
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue,
    activities,
    ...code,
    ...options.tuning,
    // Tracing on: its interceptors, sink and traced workflow bundle (src/tracing/temporal.ts).
    ...tracedWorkerOptions({ ...code, workflowsPath: options.workflowsPath ?? workflowsPath }, (message) => alerts.logger.warn(message)),
  });
  // The server enforces the queue's rate across its pollers (each sets the same value), so the
  // pace holds for any number of workers; eager execution cannot skip it (another task queue).
  const paced = await Worker.create({
    connection,
    namespace,
    taskQueue: commandTaskQueueFor(taskQueue),
    activities: { requestReprocess: (input: Parameters<typeof activities.requestReprocess>[0]) => activities.requestReprocess(input) },
    maxTaskQueueActivitiesPerSecond: options.reprocessRate,
    maxConcurrentActivityTaskExecutions: COMMAND_CONCURRENCY,
    ...tracedActivityOptions(),
  });
  const workers = [main, paced];
  const shutdown = () => {
    for (const worker of workers) {
      try {
        worker.shutdown();
      } catch {
        // not running (any more): nothing to stop
      }
    }
  };
  return {
    async run() {
      await Promise.all(
        workers.map((worker) =>
          worker.run().catch((err: unknown) => {
            shutdown();
            throw err;
          }),
        ),
      );
    },
    shutdown,
  };
}

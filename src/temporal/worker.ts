/** The worker: runs video workflows (and their webhook deliveries) and the activities that write the projection. */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

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
}

export async function createVideoWorker(options: VideoWorkerOptions): Promise<Worker> {
  const { connection, namespace, taskQueue, store, policy, commands, alerts, webhooks } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities({ store, policy, commands, alerts, webhooks }),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: options.workflowsPath ?? workflowsPath }),
    ...options.tuning,
  });
}

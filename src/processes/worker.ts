/**
 * The worker process: video workflows and their activities, built from the configuration.
 * `buildVideoWorker` is also what the test harness uses, so the tests run the worker production runs.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { createCommandPublisher } from '../amqp/command-publisher.js';
import type { Config } from '../config/env.js';
import { cacheFitsWorkflowHeap, sizeWorker, type WorkerSizing } from '../config/worker-sizing.js';
import { connectDatabase } from '../db/index.js';
import { countStalledVideos, createProjectionStore } from '../db/video-store.js';
import { createWebhookStore } from '../db/webhook-store.js';
import type { Logger } from '../logger.js';
import { temporalSdkMetricsAddress } from '../metrics/temporal-sdk.js';
import { observeStalledVideos } from '../metrics/worker.js';
import { openStorage } from '../storage/index.js';
import { connectClient, connectWorker } from '../temporal/connection.js';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { createWebhookGateway } from '../temporal/webhook-gateway.js';
import { createAlertDigestGateway } from '../temporal/alert-digest-gateway.js';
import { createVideoWorker, type VideoWorker, type WorkerTuning } from '../temporal/worker.js';
import { VIDEO_WORKFLOW_TYPE, workflowIdFor } from '../workflows/definitions.js';
import { activeTracing } from '../tracing/setup.js';
import { createWebhookSender } from '../webhooks/sender.js';
import type { Fatal, Running } from './running.js';

export interface BuiltWorker {
  worker: VideoWorker;
  /** Closes what the worker used (after it stopped). */
  close: () => Promise<void>;
}

/** The container's memory limit (cgroup v1 or v2), if the process has one below the machine's memory. */
export function cgroupMemoryLimit(): number | undefined {
  const constrained = process.constrainedMemory();
  return constrained > 0 && constrained < totalmem() ? constrained : undefined;
}

/**
 * The worker's sizes: from WORKER_MEMORY_LIMIT, else from the cgroup's limit, with the overrides;
 * `tracing`: the worker runs the traced workflow bundle (src/tracing/temporal.ts), which costs more per cached workflow.
 */
export function workerSizing(config: Config, tracing: boolean): WorkerSizing {
  const limit = config.worker.memoryLimitBytes;
  return sizeWorker({ ...config.worker, tracing, memoryLimitBytes: limit === undefined ? cgroupMemoryLimit() : limit });
}

/**
 * Caps the V8 old space of the isolates created from now on: the SDK's workflow thread (the
 * main thread's is fixed at start; NODE_OPTIONS sets it). The SDK offers no per-thread option.
 */
function capWorkflowHeap(heapMiB: number | undefined): void {
  if (heapMiB !== undefined) setFlagsFromString(`--max-old-space-size=${heapMiB}`);
}

function tuningOf(sizing: WorkerSizing): WorkerTuning {
  const { maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions, maxConcurrentActivityTaskExecutions, maxConcurrentLocalActivityExecutions, workflowThreadPoolSize } = sizing;
  const tuning = { maxCachedWorkflows, maxConcurrentWorkflowTaskExecutions, maxConcurrentActivityTaskExecutions, maxConcurrentLocalActivityExecutions, workflowThreadPoolSize };
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
}

export async function buildVideoWorker(config: Config, logger: Logger): Promise<BuiltWorker> {
  installTemporalRuntime(logger, await temporalSdkMetricsAddress(config));
  // Tracing is started before the worker (src/processes/tracing.ts); on, the worker runs the traced bundle.
  const tracing = activeTracing() !== undefined;
  const sizing = workerSizing(config, tracing);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const step of closers.reverse()) await step();
  };
  try {
    const orm = await connectDatabase(config.DATABASE_URL);
    closers.push(() => orm.close());
    closers.push(observeStalledVideos(() => countStalledVideos(orm.em.fork())));
    // Kept open: the webhook activities start delivery workflows with it.
    const { connection, client } = await connectClient(config.temporal);
    closers.push(() => connection.close());
    await ensureSearchAttributes(connection, config.temporal.namespace, logger);
    const commands = await createCommandPublisher(config.AMQP_URL, config.AMQP_EXCHANGE, logger);
    closers.push(() => commands.close());
    const sender = createWebhookSender(config.webhooks);
    closers.push(() => Promise.resolve(sender.close()));
    // Deliveries carry the video as the API shows it: its images link opened (presigned) at each attempt.
    const storage = openStorage(config.storage, logger.child({ component: 'storage' }));
    closers.push(() => Promise.resolve(storage.close()));
    const nativeConnection = await connectWorker(config.temporal);
    closers.push(() => nativeConnection.close());
    capWorkflowHeap(sizing.workflowHeapMiB);
    logger.info(
      { ...sizing, mainHeapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20) },
      sizing.memoryLimitBytes === undefined ? 'worker sized by the SDK defaults (no memory limit)' : `worker sized from its memory limit${tracing ? ' (tracing on: traced workflows)' : ''}`,
    );
    if (!cacheFitsWorkflowHeap(sizing, tracing)) {
      logger.warn(
        { maxCachedWorkflows: sizing.maxCachedWorkflows, workflowHeapMiB: sizing.workflowHeapMiB, tracing },
        'the workflow cache may not fit the workflow heap: the workflow thread can run out of memory (lower WORKER_MAX_CACHED_WORKFLOWS or raise WORKER_WORKFLOW_HEAP)',
      );
    }
    const worker = await createVideoWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      store: createProjectionStore(orm),
      policy: config.stallPolicy,
      commands,
      alerts: {
        logger: logger.child({ component: 'alerts' }),
        webhookUrl: config.ALERT_WEBHOOK_URL,
        digest: createAlertDigestGateway(client, { taskQueue: config.temporal.taskQueue }),
        grouping: {
          windowMs: config.alertGrouping.windowMs,
          threshold: config.alertGrouping.threshold,
          sampleSize: config.alertGrouping.sampleSize,
          webUi: {
            baseUrl: config.alertGrouping.webUiUrl,
            namespace: config.temporal.namespace,
            taskQueue: config.temporal.taskQueue,
            workflowType: VIDEO_WORKFLOW_TYPE,
            workflowIdPrefix: workflowIdFor(''),
          },
        },
      },
      webhooks: {
        store: createWebhookStore(orm),
        deliveries: createWebhookGateway(client, { taskQueue: config.temporal.taskQueue }),
        sender,
        openLink: storage.openLink,
        policy: config.webhooks,
      },
      ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
      tuning: tuningOf(sizing),
      reprocessRate: config.REPROCESS_RATE,
    });
    return { worker, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

export async function startWorker(config: Config, logger: Logger, fatal: Fatal = () => {}): Promise<Running> {
  const { worker, close } = await buildVideoWorker(config, logger);
  const running = worker.run();
  running.catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    fatal('worker failed');
  });
  const { address, namespace, taskQueue } = config.temporal;
  logger.info({ taskQueue, namespace }, 'worker running');
  return {
    endpoints: { worker: `task queue ${taskQueue} on ${address} (${namespace})` },
    async stop() {
      try {
        worker.shutdown(); // stops polling, then lets the tasks in flight finish
      } catch {
        // not running any more (it failed): nothing to drain
      }
      await running.catch(() => undefined);
      await close();
    },
  };
}

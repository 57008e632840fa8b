/**
 * The worker process: video workflows and their activities, built from the configuration.
 * `buildVideoWorker` is also what the test harness uses, so the tests run the worker production runs.
 */
import type { Worker } from '@temporalio/worker';
import { createCommandPublisher } from '../amqp/command-publisher.js';
import type { Config } from '../config/env.js';
import { connectDatabase } from '../db/index.js';
import { createProjectionStore } from '../db/video-store.js';
import { createWebhookStore } from '../db/webhook-store.js';
import type { Logger } from '../logger.js';
import { openStorage } from '../storage/index.js';
import { connectClient, connectWorker } from '../temporal/connection.js';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { createWebhookGateway } from '../temporal/webhook-gateway.js';
import { createVideoWorker } from '../temporal/worker.js';
import { createWebhookSender } from '../webhooks/sender.js';
import type { Fatal, Running } from './running.js';

export interface BuiltWorker {
  worker: Worker;
  /** Closes what the worker used (after it stopped). */
  close: () => Promise<void>;
}

export async function buildVideoWorker(config: Config, logger: Logger): Promise<BuiltWorker> {
  installTemporalRuntime(logger);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const step of closers.reverse()) await step();
  };
  try {
    const orm = await connectDatabase(config.DATABASE_URL);
    closers.push(() => orm.close());
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
    const worker = await createVideoWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      store: createProjectionStore(orm),
      policy: config.stallPolicy,
      commands,
      alerts: { logger: logger.child({ component: 'alerts' }), webhookUrl: config.ALERT_WEBHOOK_URL },
      webhooks: {
        store: createWebhookStore(orm),
        deliveries: createWebhookGateway(client, { taskQueue: config.temporal.taskQueue }),
        sender,
        openLink: storage.openLink,
        policy: config.webhooks,
      },
      ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
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

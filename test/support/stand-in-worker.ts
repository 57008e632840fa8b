/**
 * A real worker on the real dev server, on a task queue of its own, running the test workflow
 * bundle with in-memory stand-ins for the activities: for tests of the workflow's own commands
 * (where the SDK cuts its tasks, the order its local activities finish in), where only the timing
 * of the activities matters and Postgres would only blur it.
 */
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { VideoActivities } from '../../src/activities/index.js';
import { connectClient, connectWorker } from '../../src/temporal/connection.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { testConfig } from './env.js';
import { uniqueId } from './events.js';

/** No stall within a test: every timer an hour away. */
const NEVER_STALLS = { uploadedAfterMs: 3_600_000, processingAfterMs: 3_600_000, repeatAfterMs: 3_600_000, maxReprocess: 0 };

/** Activities that answer at once: a new video, every write written, no webhooks; `overrides` replace some. */
export function standInActivities(overrides: Partial<VideoActivities> = {}): Partial<VideoActivities> {
  return {
    loadVideo: () => Promise.resolve({ stored: null, policy: NEVER_STALLS }),
    stallPolicy: () => Promise.resolve(NEVER_STALLS),
    recordVideo: () => Promise.resolve({ written: true }),
    dispatchWebhookNotices: () => Promise.resolve({ deliveries: 0 }),
    dispatchWebhooks: () => Promise.resolve({ deliveries: 0 }),
    ...overrides,
  };
}

export interface StandInWorker {
  client: Client;
  /** A gateway to this worker's task queue; its workflows linger a minute after they finish (to be read and replayed). */
  videos: VideoGateway;
  stop(): Promise<void>;
}

export async function startStandInWorker(name: string, activities: Partial<VideoActivities>): Promise<StandInWorker> {
  const config = testConfig();
  const taskQueue = `${name}-${uniqueId()}`;
  const connection = await connectClient(config.temporal);
  const native: NativeConnection = await connectWorker(config.temporal);
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: process.env.VIDPROC_TEST_WORKFLOW_BUNDLE! }, activities });
  const running = worker.run();
  return {
    client: connection.client,
    videos: createVideoGateway(connection.client, { taskQueue, workflowDefaults: { lingerMs: 60_000 } }),
    async stop() {
      worker.shutdown();
      await running;
      await native.close();
      await connection.connection.close();
    },
  };
}

/** The activities the video workflow calls, with their timeouts and retry policies. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { VideoActivities } from '../activities/index.js';

/**
 * How long a failing local activity is retried inside one workflow task: below the first retry
 * interval (500 ms), so every retry waits on a workflow timer. While a task waits for its local
 * activities the server holds the workflow's queries (up to the task's 8 s heartbeat), so retries
 * inside the task would leave every open video silent through a Postgres outage, just when its
 * workflow is the only one that can answer; on a timer, the workflow answers meanwhile. A retry
 * costs two history events more. (Replay follows the recorded markers and timers, not this
 * option: histories with either kind of retry replay.)
 */
const LOCAL_RETRY_THRESHOLD = '100ms';

// Local activities: short Postgres calls run by the same worker, with no extra round trips to
// the Temporal server per call (the pipeline's hot path). Retried with backoff by the worker.
export const { loadVideo, stallPolicy, deliveryPolicy, alertGroupingPolicy } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * The run's start as a regular activity (since LOAD_AS_ACTIVITY): its result is an event in the
 * history, in order with the signals around it. As a local activity its result could reach the
 * workflow after a signal live (a task cut to answer queries, SDK core 1.24) and before it on
 * replay, and a run that applied them in another order did not replay.
 */
export const { loadVideo: loadVideoInHistory, stallPolicy: stallPolicyInHistory } = proxyActivities<VideoActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// The projection must eventually be written: retried without limit until Postgres answers,
// unless the activity says the data itself is refused (a non-retryable failure).
// Webhook notices likewise: a short Postgres write and the starts of the delivery workflows,
// retried until they go through (the deliveries are recorded idempotently).
export const { recordVideo, dispatchWebhooks, dispatchWebhookNotices } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '15s',
  localRetryThreshold: LOCAL_RETRY_THRESHOLD,
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' },
});

// Alerts and commands: regular activities (visible in the Web UI), retried with backoff for
// up to an hour (a webhook, Temporal or broker outage), then given up with an error in the log.
// `sendAlert` hands the alert to the digest workflow, whose `postAlert` POSTs it.
export const { sendAlert, requestReprocess, postAlert } = proxyActivities<VideoActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/**
 * Reprocess commands since PACED_COMMANDS: on the worker's command task queue, whose activities
 * the server hands out at REPROCESS_RATE a second for all workers together. Waiting in that
 * queue counts toward the timeout, hence a day (a backlog of N commands takes N / REPROCESS_RATE
 * seconds); then given up with an error in the log.
 */
export const pacedRequestReprocess = (commandTaskQueue: string) =>
  proxyActivities<VideoActivities>({
    taskQueue: commandTaskQueue,
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '1d',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
  }).requestReprocess;

// One webhook attempt: the POST is bounded by WEBHOOK_TIMEOUT (at most 60s) inside the activity,
// which reports the receiver's failures as its result; it throws only when Postgres does, and is
// retried then until Postgres answers (the delivery workflow backs off between attempts itself).
export const { attemptDelivery } = proxyActivities<VideoActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

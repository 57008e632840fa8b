/** The activities the video workflow calls, with their timeouts and retry policies. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { VideoActivities } from '../activities/index.js';

// Local activities: short Postgres calls run by the same worker, with no extra round trips to
// the Temporal server per call (the pipeline's hot path). Retried with backoff by the worker.
export const { loadVideo, stallPolicy } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

// The projection must eventually be written: retried without limit until Postgres answers,
// unless the activity says the data itself is refused (a non-retryable failure).
export const { recordVideo } = proxyLocalActivities<VideoActivities>({
  startToCloseTimeout: '15s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '1m' },
});

// Alerts and commands: regular activities (visible in the Web UI), retried with backoff for
// up to an hour (a webhook or broker outage), then given up with an error in the log.
export const { sendAlert, requestReprocess } = proxyActivities<VideoActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

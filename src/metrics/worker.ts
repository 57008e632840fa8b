/**
 * The worker's own metrics (the Temporal SDK's come from its runtime: ./temporal-sdk.ts), counted
 * in the activities, where the work is done: workflow code never touches them (it must stay
 * deterministic, and it runs again on every replay). The activities are wrapped, not edited.
 */
import { activityInfo } from '@temporalio/activity';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { VideoActivities } from '../activities/index.js';
import { ALERT_KINDS } from '../domain/stall.js';
import { VIDEO_STATUSES } from '../domain/video.js';
import { LATENCY_BUCKETS, registry, secondsSince } from './registry.js';
import { statusEntered } from './status-transitions.js';

const transitions = new Counter({
  name: 'vidproc_video_status_transitions_total',
  help: 'Videos that entered each status, counted when the projection was written (uploaded: videos the tracker started following).',
  labelNames: ['status'] as const,
  registers: [registry],
});

const alerts = new Counter({
  name: 'vidproc_video_alerts_total',
  help: 'Stuck-video alerts raised, by kind: video.stalled (stalls), video.stalled.repeat, video.recovered (recoveries), video.timed_out (timeouts).',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const alertPosts = new Counter({
  name: 'vidproc_alert_webhook_posts_total',
  help: 'POSTs to ALERT_WEBHOOK_URL (a video\'s alert or a grouped one, from the alert digest), by outcome: delivered or failed (retried by Temporal unless refused).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const reprocess = new Counter({
  name: 'vidproc_reprocess_commands_total',
  help: 'Reprocess commands published to RabbitMQ, by outcome: sent or failed (retried by Temporal).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const projectionWrites = new Histogram({
  name: 'vidproc_projection_write_duration_seconds',
  help: 'Time to write a video and its new history lines to Postgres (one transaction), failed writes included.',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

const webhookAttempts = new Counter({
  name: 'vidproc_webhook_delivery_attempts_total',
  help: 'Attempts at delivering a webhook, by outcome: delivered, retry (failed, tried again later), failed (given up), gone (endpoint or delivery deleted), error (Postgres failed; retried).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** Each worker in the process (one in production) adds how to count its stalled videos. */
const stalledSources = new Set<() => Promise<number>>();
new Gauge({
  name: 'vidproc_videos_stalled',
  help: 'Videos stalled now (past their stage deadline with no news), as the projection in Postgres says; every worker reports it.',
  registers: [registry],
  async collect() {
    const [source] = stalledSources;
    if (source) this.set(await source());
  },
});

// Every series exists from the start (at 0), so rates and alerts see the first one.
for (const status of VIDEO_STATUSES) transitions.inc({ status }, 0);
for (const kind of ALERT_KINDS) alerts.inc({ kind }, 0);
for (const outcome of ['delivered', 'failed']) alertPosts.inc({ outcome }, 0);
for (const outcome of ['sent', 'failed']) reprocess.inc({ outcome }, 0);
for (const outcome of ['delivered', 'retry', 'failed', 'gone', 'error']) webhookAttempts.inc({ outcome }, 0);

/** vidproc_videos_stalled from `count` (the projection's stalled videos); returns the function that stops it. */
export function observeStalledVideos(count: () => Promise<number>): () => Promise<void> {
  stalledSources.add(count);
  return () => Promise.resolve(void stalledSources.delete(count));
}

/** The activities, counting what they do. */
export function instrumentActivities(activities: VideoActivities): VideoActivities {
  const inner = activities;
  return {
    ...activities,
    async recordVideo(input) {
      const started = performance.now();
      try {
        const result = await inner.recordVideo(input);
        // Not written: the stored row was as new (a retry of a write that went through).
        if (result.written) {
          for (const record of input.records) for (const status of statusEntered(record)) transitions.inc({ status });
        }
        return result;
      } finally {
        projectionWrites.observe(secondsSince(started));
      }
    },
    async sendAlert(alert) {
      // Raised once, however often handing it to the alert digest is retried.
      if (activityInfo().attempt === 1) alerts.inc({ kind: alert.kind });
      return inner.sendAlert(alert);
    },
    async postAlert(message) {
      try {
        const result = await inner.postAlert(message);
        if (result.delivered) alertPosts.inc({ outcome: 'delivered' });
        return result;
      } catch (err) {
        alertPosts.inc({ outcome: 'failed' });
        throw err;
      }
    },
    async requestReprocess(input) {
      try {
        await inner.requestReprocess(input);
        reprocess.inc({ outcome: 'sent' });
      } catch (err) {
        reprocess.inc({ outcome: 'failed' });
        throw err;
      }
    },
    async attemptDelivery(input) {
      try {
        const outcome = await inner.attemptDelivery(input);
        webhookAttempts.inc({ outcome });
        return outcome;
      } catch (err) {
        webhookAttempts.inc({ outcome: 'error' });
        throw err;
      }
    },
  };
}

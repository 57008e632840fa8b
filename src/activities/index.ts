/**
 * Activities: the only code that writes the projection, sends alerts and publishes commands.
 * A thin factory over its dependencies, so tests and the worker pass in the real ones.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { isGrouped, type AlertGroupingPolicy, type AlertMessage, type HandedAlert } from '../domain/alert-digest.js';
import { reprocessCommand, type ReprocessCommand } from '../domain/events.js';
import type { Alert, StallPolicy } from '../domain/stall.js';
import type { HistoryRecord, VideoState } from '../domain/video.js';
import type { Logger } from '../logger.js';
import { createWebhookActivities, type WebhookActivityDeps } from './webhooks.js';

/** The durable projection (in the worker: Postgres, src/db/video-store.ts). */
/**
 * A workflow run that started from the projection: its id, and the video it loaded (null: none).
 * Its writes carry it. A run's first workflow task can run again after its local activities wrote
 * (the worker was killed, or the task timed out): the retry loads the video again, and must get
 * what the run started from, not the run's own writes (else it would take its own events for
 * duplicates, and the owner's webhooks and the alerts they raised would never go out).
 */
export interface RunStart {
  runId: string;
  base: VideoState | null;
}

export interface ProjectionStore {
  /** The stored video, or, when `runId` wrote it, what that run started from. */
  load(videoId: string, runId?: string): Promise<StoredVideo | null>;
  /** Upserts the row (never backwards) and appends the records; false when the stored row was as new. */
  save(video: VideoState, records: HistoryRecord[], run?: RunStart): Promise<boolean>;
  /** The store refused the data itself: retrying cannot help. */
  isRefused(err: unknown): boolean;
}

export interface ActivityDeps {
  store: ProjectionStore;
  /** The stuck-video policy the workflows follow (from the worker's configuration). */
  policy: StallPolicy;
  /** Where reprocess commands go (in the worker: the AMQP command publisher). */
  commands: { publish(command: ReprocessCommand): Promise<void> };
  /**
   * Alerts: each is logged here as it is raised, then handed to the alert digest workflow (in the
   * worker: src/temporal/alert-digest-gateway.ts), which groups them in a storm (`grouping`) and
   * POSTs what goes out to the webhook, when there is one.
   */
  alerts: {
    logger: Logger;
    webhookUrl?: string | undefined;
    digest: { hand(handed: HandedAlert): Promise<void> };
    grouping: AlertGroupingPolicy;
  };
  /** Users' webhooks: endpoints and deliveries, the delivery workflows, the sender (./webhooks.ts). */
  webhooks: WebhookActivityDeps;
}

export interface StoredVideo {
  video: VideoState;
  seenEventIds: string[];
}

/** Errors that retrying cannot fix: the data itself is refused. */
const NON_RETRYABLE = 'ProjectionRejected';

const WEBHOOK_TIMEOUT_MS = 10_000;

export function createActivities({ store, policy, commands, alerts, webhooks }: ActivityDeps) {
  return {
    ...createWebhookActivities(webhooks),

    /**
     * What a new run starts from: the stored projection of the video (with the ids of its recent
     * events), or null, and the stuck-video policy (one call on the hot path instead of two).
     */
    async loadVideo(videoId: string, runId?: string): Promise<{ stored: StoredVideo | null; policy: StallPolicy }> {
      return { stored: await store.load(videoId, runId), policy };
    },

    /** Writes the video's state and new history records; never moves the stored row backwards. */
    async recordVideo(input: { video: VideoState; records: HistoryRecord[]; run?: RunStart }): Promise<{ written: boolean }> {
      try {
        return { written: await store.save(input.video, input.records, input.run) };
      } catch (err) {
        if (store.isRefused(err)) throw ApplicationFailure.nonRetryable((err as Error).message, NON_RETRYABLE);
        throw err;
      }
    },

    /** The stuck-video policy, for a run continued-as-new (so it is in that run's history too). */
    // eslint-disable-next-line @typescript-eslint/require-await
    async stallPolicy(): Promise<StallPolicy> {
      return policy;
    },

    /**
     * Logs the video's alert (every one, grouped or not: operators search the log by video) and
     * hands it to the digest workflow of its kind, started if need be. Retries hand the same key.
     */
    async sendAlert(alert: Alert): Promise<{ delivered: boolean }> {
      alerts.logger.warn({ alert }, alert.text);
      const { workflowExecution: run, activityId } = Context.current().info;
      await alerts.digest.hand({ alert, key: `${run?.workflowId}/${run?.runId}/${activityId}` });
      return { delivered: false };
    },

    /** The alert digest's grouping policy and Web UI links (from the worker's configuration). */
    // eslint-disable-next-line @typescript-eslint/require-await
    async alertGroupingPolicy(): Promise<AlertGroupingPolicy> {
      return alerts.grouping;
    },

    /**
     * POSTs what the digest sends (a video's alert, or a grouped one) to ALERT_WEBHOOK_URL; a
     * grouped one is logged too. A failed POST is retried by Temporal.
     */
    async postAlert(message: AlertMessage): Promise<{ delivered: boolean }> {
      if (isGrouped(message)) alerts.logger.warn({ alert: message }, message.text);
      if (!alerts.webhookUrl) return { delivered: false };
      const res = await fetch(alerts.webhookUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (!res.ok) {
        const text = `alert webhook answered ${res.status}`;
        // A 4xx other than 408/429 will not get better by retrying the same request.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          throw ApplicationFailure.nonRetryable(text, 'AlertRefused');
        }
        throw new Error(text);
      }
      return { delivered: true };
    },

    /** Publishes `vidproc.command.video.reprocess` for the video (id stable per attempt). */
    async requestReprocess(input: { videoId: string; attempt: number; reason: string }): Promise<void> {
      await commands.publish(reprocessCommand(input.videoId, input.attempt, input.reason, new Date().toISOString()));
    },
  };
}

export type VideoActivities = ReturnType<typeof createActivities>;

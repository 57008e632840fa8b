/**
 * The user-webhook activities: turn a video's notice into deliveries (one per subscribed
 * endpoint and event type) and start their workflows; attempt one delivery (sign, POST, record
 * the outcome and the endpoint's health). A thin factory over its dependencies.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import { publicVideo, type LinkOpener } from '../domain/public-video.js';
import { healthAfterAttempt, signingSecrets, subscribes, type EndpointHealth, type WebhookEndpoint } from '../domain/webhook-endpoints.js';
import {
  deliveryAbandoned,
  deliveryAfterAttempt,
  type AttemptResult,
  type DeliveryPolicy,
  type WebhookBody,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookNotice,
} from '../domain/webhook-events.js';

/** Endpoints and deliveries (in the worker: Postgres, src/db/webhook-store.ts). */
export interface WebhookStore {
  subscribers(userId: string, types: WebhookEventType[]): Promise<WebhookEndpoint[]>;
  /** Records the deliveries idempotently; the ids of those not attempted yet. */
  record(deliveries: WebhookDelivery[]): Promise<string[]>;
  load(deliveryId: string): Promise<{ delivery: WebhookDelivery; endpoint: WebhookEndpoint } | null>;
  recordAttempt(
    endpointId: string,
    decide: (health: EndpointHealth) => { health: EndpointHealth; delivery: WebhookDelivery },
  ): Promise<{ health: EndpointHealth; delivery: WebhookDelivery } | null>;
  save(delivery: WebhookDelivery): Promise<void>;
  isRefused(err: unknown): boolean;
}

export interface WebhookActivityDeps {
  store: WebhookStore;
  /** Starts a delivery's workflow, unless it was started before (src/temporal/webhook-gateway.ts). */
  deliveries: { start(deliveryId: string): Promise<unknown> };
  /** POSTs to an endpoint, checking its address (src/webhooks/sender.ts). */
  sender: { post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> };
  /** Opens the images link of the video at each attempt (a presigned link expires). */
  openLink: LinkOpener;
  /** The retry schedule the delivery workflows follow, and when a failing endpoint is disabled. */
  policy: DeliveryPolicy & { disableAfterMs: number };
}

/** How a delivery's attempt ended, for its workflow: try again later, or done. */
export type AttemptOutcome = 'delivered' | 'retry' | 'failed' | 'gone';

const REFUSED = 'WebhookDataRefused';

/** The webhook-id of an event for an endpoint: the same whenever the event is dispatched again. */
export function deliveryIdFor(endpointId: string, videoId: string, version: number, type: WebhookEventType): string {
  const digest = createHash('sha256').update(`${endpointId}\n${videoId}\n${version}\n${type}`).digest('base64url');
  return `msg_${digest.slice(0, 32)}`;
}

/** Standard Webhooks' headers for `body`, signed with every secret in force (a rotation's grace: both). */
export function signedHeaders(id: string, secrets: string[], sentAt: Date, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'vidproc-webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, sentAt, body)).join(' '),
  };
}

export function createWebhookActivities({ store, deliveries, sender, openLink, policy }: WebhookActivityDeps) {
  const refusedOr = (err: unknown): never => {
    if (store.isRefused(err)) throw ApplicationFailure.nonRetryable((err as Error).message, REFUSED);
    throw err;
  };

  /**
   * One delivery per subscribed endpoint and event type of each notice (one video's, in order),
   * recorded (idempotent), and its workflow started. One look-up of the endpoints per owner.
   * Retried as a whole: what was recorded stays, what started is not started again.
   */
  async function dispatchWebhookNotices(notices: WebhookNotice[]): Promise<{ deliveries: number }> {
    const owned = notices.filter((notice) => notice.video.userId !== null);
    const types = [...new Set(owned.flatMap((notice) => notice.types))];
    const endpointsOf = new Map<string, WebhookEndpoint[]>();
    for (const userId of new Set(owned.map((notice) => notice.video.userId!))) endpointsOf.set(userId, await store.subscribers(userId, types));
    const recorded: WebhookDelivery[] = owned.flatMap(({ video, types: raised, occurredAt }) =>
      endpointsOf.get(video.userId!)!.flatMap((endpoint) =>
        raised
          .filter((type) => subscribes(endpoint, type))
          .map((type) => ({
            id: deliveryIdFor(endpoint.id, video.videoId, video.version, type),
            endpointId: endpoint.id,
            type,
            videoId: video.videoId,
            version: video.version,
            payload: video,
            status: 'pending' as const,
            attempts: 0,
            lastStatusCode: null,
            lastError: null,
            lastAttemptAt: null,
            nextAttemptAt: occurredAt,
            createdAt: occurredAt,
            deliveredAt: null,
          })),
      ),
    );
    if (recorded.length === 0) return { deliveries: 0 };
    const unattempted = await store.record(recorded).catch(refusedOr);
    for (const id of unattempted) await deliveries.start(id);
    return { deliveries: recorded.length };
  }

  return {
    dispatchWebhookNotices,

    /** One notice: what workflows that started before notices went together call. */
    dispatchWebhooks: (notice: WebhookNotice) => dispatchWebhookNotices([notice]),

    /** The retry schedule, for a delivery workflow (so it is in that workflow's history). */
    // eslint-disable-next-line @typescript-eslint/require-await
    async deliveryPolicy(): Promise<DeliveryPolicy> {
      const { retryInitialMs, retryMaxIntervalMs, retryForMs } = policy;
      return { retryInitialMs, retryMaxIntervalMs, retryForMs };
    },

    /**
     * One attempt at `attemptAt` (the workflow's time): the body with a freshly opened link,
     * signed now, POSTed; the outcome and the endpoint's health written together. A failed
     * attempt is due again at `nextAttemptAt`; null means it was the last. Throws only when
     * Postgres does (retried by Temporal).
     */
    async attemptDelivery(input: { deliveryId: string; attemptAt: string; nextAttemptAt: string | null }): Promise<AttemptOutcome> {
      const { deliveryId, attemptAt, nextAttemptAt } = input;
      const loaded = await store.load(deliveryId);
      if (!loaded) return 'gone';
      const { delivery, endpoint } = loaded;
      if (endpoint.disabled) {
        await store.save(deliveryAbandoned(delivery, `not sent: the endpoint is disabled (${endpoint.disabledReason ?? 'by its owner'})`));
        return 'failed';
      }
      const body: WebhookBody = { type: delivery.type, timestamp: delivery.createdAt, data: await publicVideo(delivery.payload, openLink) };
      const text = JSON.stringify(body);
      // The real clock, not the workflow's: the receiver checks the timestamp against its own.
      const headers = signedHeaders(delivery.id, signingSecrets(endpoint, attemptAt), new Date(), text);
      const result = await sender.post(endpoint.url, headers, text);
      const written = await store
        .recordAttempt(endpoint.id, (current) => {
          const health = healthAfterAttempt(current, result.ok, result.ok ? null : result.error, attemptAt, policy.disableAfterMs);
          const attempted = deliveryAfterAttempt(delivery, result, attemptAt, nextAttemptAt);
          // This attempt disabled the endpoint: no more attempts (the reason is on the endpoint).
          const after = health.disabled && attempted.status === 'pending' ? { ...attempted, status: 'failed' as const, nextAttemptAt: null } : attempted;
          return { health, delivery: after };
        })
        .catch(refusedOr);
      if (!written) return 'gone';
      const { status } = written.delivery;
      return status === 'pending' ? 'retry' : status;
    },
  };
}

/**
 * What vidproc tells its users' webhooks, as pure rules: the event types, which ones a change of
 * a video raises, the notice the video workflow hands to the dispatcher, the body a receiver
 * gets, and the retry schedule of a delivery. Imported by the workflow bundle: no I/O, no Node
 * built-ins, time and randomness passed in.
 */
import type { PublicVideo } from './public-video.js';
import type { VideoView } from './video.js';

/**
 * The event types, in the order one change raises them. Each says what happened to the video;
 * the body's `data` is the whole video after it (with its `version`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'video.created',
  'video.recovered',
  'video.stalled',
  'video.processing',
  'video.progress',
  'video.completed',
  'video.failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One line per event type (the API's documentation and the README say the same). */
export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'video.created': 'the video has its owner (registered through the API, or named by its uploaded event)',
  'video.recovered': 'a stalled video moved again (processing, or completed)',
  'video.stalled': 'the video is past its stage deadline with no news from the processing service',
  'video.processing': 'processing started',
  'video.progress': 'progress went up while processing (sampled: at most one per video every 5 s, the latest value)',
  'video.completed': 'processing completed: data.imagesUrl is the link to the images',
  'video.failed':
    'the video failed: data.error is { code, message } (the processing service, TIMED_OUT when vidproc gave up, FAILED_BY_OPERATOR)',
};

/**
 * The event types a change of the view raises (before -> after, one commit of the workflow).
 * Nothing without an owner: webhooks belong to users. A failure ends a stall without a
 * `video.recovered` (the video did not recover); a completion ends it with one.
 */
export function webhookEventTypes(before: VideoView, after: VideoView): WebhookEventType[] {
  if (after.userId === null) return [];
  const raised = new Set<WebhookEventType>();
  if (before.userId === null) raised.add('video.created');
  if (before.stalled && !after.stalled && after.status !== 'failed') raised.add('video.recovered');
  if (!before.stalled && after.stalled) raised.add('video.stalled');
  if (before.status !== after.status) {
    if (after.status === 'processing') raised.add('video.processing');
    if (after.status === 'completed') raised.add('video.completed');
    if (after.status === 'failed') raised.add('video.failed');
  } else if (after.status === 'processing' && after.progress !== before.progress) {
    raised.add('video.progress');
  }
  return WEBHOOK_EVENT_TYPES.filter((type) => raised.has(type));
}

/** What one committed change tells the owner's webhooks: the types it raised and the video after it. */
export interface WebhookNotice {
  types: WebhookEventType[];
  video: VideoView;
  /** When the change was committed (the body's `timestamp`). */
  occurredAt: string;
}

/** A notice that only says progress went up: sampled, not sent for every change. */
export const isProgressOnly = (notice: WebhookNotice): boolean =>
  notice.types.length === 1 && notice.types[0] === 'video.progress';

/** The body a receiver gets (signed as it is sent): Standard Webhooks' `{ type, timestamp, data }`. */
export interface WebhookBody {
  type: WebhookEventType;
  /** When the change happened (not when this attempt was sent: that is the `webhook-timestamp` header). */
  timestamp: string;
  data: PublicVideo;
}

/** How a delivery is retried (from the worker's configuration). */
export interface DeliveryPolicy {
  /** The first retry's delay (WEBHOOK_RETRY_INITIAL); each next one doubles. */
  retryInitialMs: number;
  /** The longest delay between two attempts (WEBHOOK_RETRY_MAX_INTERVAL). */
  retryMaxIntervalMs: number;
  /** How long a delivery is retried: its last attempt is this long after its first (WEBHOOK_RETRY_FOR). */
  retryForMs: number;
}

/** Jitter: each delay is its exponential value times a factor between these (spreads a recovered receiver's load). */
const JITTER_LOW = 0.8;
const JITTER_HIGH = 1.2;

/**
 * When to attempt again after attempt number `attempt` (1-based) of a sequence that started at
 * `startedAtMs` failed at `attemptAtMs`, or null when the sequence is over. Exponential with
 * jitter (`random` in [0, 1)), capped, and never past the end of the retry period, so the last
 * attempt is exactly `retryForMs` after the first.
 */
export function nextAttemptAt(policy: DeliveryPolicy, startedAtMs: number, attemptAtMs: number, attempt: number, random: number): number | null {
  const endsAt = startedAtMs + policy.retryForMs;
  if (attemptAtMs >= endsAt) return null;
  const exponential = Math.min(policy.retryMaxIntervalMs, policy.retryInitialMs * 2 ** Math.max(0, attempt - 1));
  const delay = exponential * (JITTER_LOW + (JITTER_HIGH - JITTER_LOW) * random);
  return Math.min(Math.round(attemptAtMs + delay), endsAt);
}

/** How much of a failure (an error, the start of a receiver's answer) the deliveries log keeps. */
export const DELIVERY_ERROR_MAX = 500;

/** The delivery given up without an attempt (its endpoint is disabled). */
export const deliveryAbandoned = (delivery: WebhookDelivery, why: string): WebhookDelivery => ({
  ...delivery,
  status: 'failed',
  nextAttemptAt: null,
  lastError: why.slice(0, DELIVERY_ERROR_MAX),
});

/** The delivery about to be sent again from the start (a redelivery): pending, due now. */
export const deliveryRestarted = (delivery: WebhookDelivery, now: string): WebhookDelivery => ({
  ...delivery,
  status: 'pending',
  nextAttemptAt: now,
});

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one endpoint, and how its delivery went (the deliveries log). Times are RFC 3339. */
export interface WebhookDelivery {
  /** The `webhook-id` header: stable per event and endpoint, the same on every attempt and redelivery. */
  id: string;
  endpointId: string;
  type: WebhookEventType;
  videoId: string;
  /** The video's version this event is about (a receiver drops an older one arriving after a newer). */
  version: number;
  /** The video as it was then (its link is opened again at each attempt). */
  payload: VideoView;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  /** When the change happened (the body's `timestamp`; a redelivery keeps it). */
  createdAt: string;
  deliveredAt: string | null;
}

/** What one attempt did: delivered (a 2xx), or failed with the status code (if the receiver answered) and why. */
export type AttemptResult = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string };

/** The delivery after an attempt at `at`; `nextAttemptAt` null means no more attempts (it failed). */
export function deliveryAfterAttempt(delivery: WebhookDelivery, result: AttemptResult, at: string, nextAttemptAt: string | null): WebhookDelivery {
  const attempted = { ...delivery, attempts: delivery.attempts + 1, lastAttemptAt: at, lastStatusCode: result.statusCode };
  if (result.ok) return { ...attempted, status: 'delivered', lastError: null, nextAttemptAt: null, deliveredAt: at };
  const lastError = result.error.slice(0, DELIVERY_ERROR_MAX);
  return { ...attempted, status: nextAttemptAt === null ? 'failed' : 'pending', lastError, nextAttemptAt };
}

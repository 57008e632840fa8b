/**
 * The video workflow's public surface: its type name, its id scheme (both directions), messages
 * and search attributes. Shared by the workflow, the worker, the bridge, the API and the CLI
 * (import-safe everywhere).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, type UpdateDefinition } from '@temporalio/common';
import type { VideoEventInput } from '../domain/event-schemas.js';
import { OPERATOR_ACTION_TYPES, type OperatorActionType } from '../domain/operator-actions.js';
import type { OperatorRequestInput } from '../domain/operator-requests.js';
import type { AlertMessage, DigestState, HandedAlert } from '../domain/alert-digest.js';
import type { AlertKind, Dispatch } from '../domain/stall.js';
import type { TrackerState, HistoryRecord, VideoView } from '../domain/video.js';
import type { WebhookNotice } from '../domain/webhook-events.js';

/** The workflow type the worker registers (the exported function's name in ./index.ts). */
export const VIDEO_WORKFLOW_TYPE = 'videoWorkflow';

const WORKFLOW_ID_PREFIX = 'video-';
export const workflowIdFor = (videoId: string) => `${WORKFLOW_ID_PREFIX}${videoId}`;
/** The video a workflow id belongs to, or null for a workflow that is not a video's. */
export const videoIdOf = (workflowId: string): string | null =>
  workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : null;

/** A processing-service event (a CloudEvent, validated again by the workflow). */
export const eventSignal = defineSignal<[VideoEventInput]>('event');
/**
 * Several events for one video in one signal, in the order they were published: what the bridge
 * sends when a video's events queue up behind each other (one workflow task instead of several).
 * Workers must know it before bridges send it: upgrade the workers first.
 */
export const eventsSignal = defineSignal<[VideoEventInput[]]>('events');
/** The most events one `events` signal carries (each at most a few KiB: well under Temporal's 2 MB payload limit). */
export const MAX_EVENTS_PER_SIGNAL = 50;

/**
 * The task queue of reprocess commands (PACED_COMMANDS): every worker polls it for that activity
 * alone, rate-limited by the server to REPROCESS_RATE a second (all workers together).
 */
export const commandTaskQueueFor = (taskQueue: string) => `${taskQueue}-commands`;

/** The video's view (API contract). */
export const getStatusQuery = defineQuery<VideoView>('getStatus');

export interface RegisterInput {
  userId: string;
  fileName?: string;
}
export interface RegisterResult {
  /** True when this registration made the caller the owner (a new video for them). */
  created: boolean;
  view: VideoView;
}
/** An upload registered through the API; refused when another user owns the video. */
export const registerUpdate = defineUpdate<RegisterResult, [RegisterInput]>('register');

export const VIDEO_OWNED_BY_ANOTHER_USER = 'VideoOwnedByAnotherUser';

/**
 * One update per operator action, named after it (`retry`, `fail`, `extend`), with a validator
 * that refuses what makes no sense; the argument is the request as the operator sent it.
 */
export const operatorUpdates = Object.fromEntries(
  OPERATOR_ACTION_TYPES.map((type) => [type, defineUpdate<VideoView, [OperatorRequestInput<typeof type>]>(type)]),
) as unknown as { [T in OperatorActionType]: UpdateDefinition<VideoView, [OperatorRequestInput<T>], T> };
export const OPERATOR_ACTION_REFUSED = 'OperatorActionRefused';

export const VideoStatusKey = defineSearchAttributeKey('VideoStatus', SearchAttributeType.KEYWORD);
export const VideoUserIdKey = defineSearchAttributeKey('VideoUserId', SearchAttributeType.KEYWORD);
export const VideoStalledKey = defineSearchAttributeKey('VideoStalled', SearchAttributeType.BOOL);
export const videoSearchAttributes = [VideoStatusKey, VideoUserIdKey, VideoStalledKey];

/** What a run hands to the next over a continue-as-new. */
export interface CarriedState {
  tracker: TrackerState;
  /** History records not yet in Postgres (including those being written). */
  unsaved: HistoryRecord[];
  /** Alerts and commands not yet sent (including the one being sent). */
  outbox?: Dispatch[];
  /** Webhook notices not yet dispatched (including the one being dispatched). */
  webhooks?: WebhookNotice[];
}

export interface VideoWorkflowInput {
  videoId: string;
  carried?: CarriedState;
  /** How long to stay open once terminal (defaults to TERMINAL_LINGER_MS in ./video.ts). */
  lingerMs?: number;
  /** Continue-as-new after this many history events (defaults to CONTINUE_AS_NEW_AFTER_EVENTS in ./video.ts). */
  continueAsNewAfterEvents?: number;
}

/** The webhook delivery workflow (one per delivery: an event for an endpoint); the type name in ./index.ts. */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';
export const deliveryWorkflowIdFor = (deliveryId: string) => `webhook-delivery-${deliveryId}`;

export interface WebhookDeliveryInput {
  /** The delivery (its webhook-id); everything else is read from Postgres at each attempt. */
  deliveryId: string;
}

/** Start a new attempt sequence now (an owner's redelivery); a closed delivery gets a new run instead. */
export const redeliverSignal = defineSignal('redeliver');

/** The alert digest workflow (one per alert kind and task queue): groups alerts in a storm (./alert-digest.ts). */
export const ALERT_DIGEST_WORKFLOW_TYPE = 'alertDigestWorkflow';
export const alertDigestWorkflowIdFor = (taskQueue: string, kind: AlertKind) => `alert-digest-${taskQueue}-${kind}`;

export const alertSignal = defineSignal<[HandedAlert]>('alert');

export interface AlertDigestInput {
  kind: AlertKind;
  carried?: { state: DigestState; unsent: AlertMessage[] };
  /** Continue-as-new after this many history events (defaults to DIGEST_CONTINUE_AS_NEW_AFTER_EVENTS in ./alert-digest.ts). */
  continueAsNewAfterEvents?: number;
}

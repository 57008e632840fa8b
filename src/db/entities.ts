/**
 * The durable projection: a video's current view and its event history. Written only by
 * activities (src/activities); read by the API when Temporal is not the right source.
 * Column lengths come from the domain's limits, so whatever the edge accepts fits. The schema
 * test (test/integration/schema.test.ts) checks that the migrations build exactly this.
 * Nullable columns are `strictNullable` (typed `T | null`, as in the domain) so that src/db/rows.ts
 * maps every field alike.
 */
import { defineEntity, p, type IndexColumnOptions } from '@mikro-orm/core';
import { LIMITS, RECORDED_EVENT_ID_MAX } from '../domain/events.js';
import { VIDEO_STATUSES, type VideoError, type VideoState, type VideoView } from '../domain/video.js';
import { WEBHOOK_LIMITS } from '../domain/webhook-endpoints.js';
import { DELIVERY_ERROR_MAX, DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../domain/webhook-events.js';

/** The order of every video listing: newest first, the id breaking ties (a keyset needs a total order). */
const NEWEST_FIRST = [
  { name: 'created_at', sort: 'desc' },
  { name: 'video_id', sort: 'desc' },
] as const satisfies IndexColumnOptions[];

const VideoSchema = defineEntity({
  name: 'Video',
  tableName: 'videos',
  properties: {
    videoId: p.string().length(LIMITS.videoId).primary(),
    userId: p.string().length(LIMITS.userId).strictNullable(),
    fileName: p.string().length(LIMITS.fileName).strictNullable(),
    // varchar(16) leaves room for a longer status; the check constraint says which are allowed.
    status: p.enum(VIDEO_STATUSES).columnType('varchar(16)'),
    progress: p.float().columnType("double precision").strictNullable(),
    imagesUrl: p.text().strictNullable(),
    frameCount: p.integer().strictNullable(),
    error: p.json<VideoError>().strictNullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    completedAt: p.datetime().strictNullable(),
    stalled: p.boolean().default(false),
    stalledSince: p.datetime().strictNullable(),
    deadline: p.datetime().strictNullable(),
    lastEventAt: p.datetime().strictNullable(),
    reprocessAttempts: p.integer().default(0),
    lastAlertAt: p.datetime().strictNullable(),
    /** History records applied so far; an upsert never replaces a row with a higher version. */
    version: p.integer(),
    /** The row's place in the order of all writes (a sequence): where a stream of many videos resumes. */
    changeSeq: p.bigint('number').autoincrement(),
    /**
     * The workflow run whose write this is, and what that run started from (the video it loaded,
     * or null): see RunStart in src/activities/index.ts. Null for a run continued-as-new (it loads nothing).
     */
    runId: p.string().length(64).strictNullable(),
    runBase: p.json<VideoState>().strictNullable(),
  },
  indexes: [
    // Partial: few videos are stalled at a time, so the index stays small.
    { name: 'videos_stalled_index', properties: ['stalled'], where: '"stalled"' },
    // Listings, newest first (src/db/video-store.ts listVideos): a user's, everyone's (operators),
    // everyone's in one status. Each also answers what the single-column indexes it replaced did.
    { name: 'videos_user_listing_index', columns: [{ name: 'user_id' }, ...NEWEST_FIRST] },
    { name: 'videos_listing_index', columns: NEWEST_FIRST },
    { name: 'videos_status_listing_index', columns: [{ name: 'status' }, ...NEWEST_FIRST] },
    // Live streams of many videos resume in the order of changes (src/db/video-changes.ts).
    { name: 'videos_user_id_change_seq_index', properties: ['userId', 'changeSeq'] },
    { name: 'videos_change_seq_index', properties: ['changeSeq'] },
  ],
});
export class Video extends VideoSchema.class {}
VideoSchema.setClass(Video);

const VideoEventRecordSchema = defineEntity({
  name: 'VideoEventRecord',
  tableName: 'video_events',
  properties: {
    videoId: p.string().length(LIMITS.videoId).primary(),
    seq: p.integer().primary(),
    eventId: p.string().length(RECORDED_EVENT_ID_MAX),
    type: p.string().length(LIMITS.eventType),
    source: p.string().length(LIMITS.source),
    eventTime: p.datetime(),
    receivedAt: p.datetime(),
    applied: p.boolean(),
    reason: p.text(),
    data: p.json<unknown>().strictNullable(),
  },
});
export class VideoEventRecord extends VideoEventRecordSchema.class {}
VideoEventRecordSchema.setClass(VideoEventRecord);

/** A user's webhook endpoint: where to POST which events, signed with its secret; its health. */
const WebhookEndpointSchema = defineEntity({
  name: 'WebhookEndpointRow',
  tableName: 'webhook_endpoints',
  properties: {
    id: p.uuid().primary(),
    userId: p.string().length(LIMITS.userId).index(),
    url: p.string().length(WEBHOOK_LIMITS.url),
    events: p.json<WebhookEventType[]>(),
    /** Needed in clear to sign (HMAC): shown to the owner only when made. */
    secret: p.string().length(64),
    /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
    previousSecret: p.string().length(64).strictNullable(),
    previousSecretExpiresAt: p.datetime().strictNullable(),
    createdAt: p.datetime(),
    disabled: p.boolean().default(false),
    disabledReason: p.string().length(WEBHOOK_LIMITS.disabledReason).strictNullable(),
    disabledAt: p.datetime().strictNullable(),
    lastSuccessAt: p.datetime().strictNullable(),
    failingSince: p.datetime().strictNullable(),
  },
});
export class WebhookEndpointRow extends WebhookEndpointSchema.class {}
WebhookEndpointSchema.setClass(WebhookEndpointRow);

/**
 * One event for one endpoint and how its delivery went. The id is the `webhook-id` (stable per
 * event and endpoint), so recording a delivery twice is a no-op. Deleted with its endpoint.
 */
const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDeliveryRow',
  tableName: 'webhook_deliveries',
  properties: {
    id: p.string().length(40).primary(),
    endpointId: p.uuid(),
    type: p.enum(WEBHOOK_EVENT_TYPES).columnType('varchar(32)'),
    videoId: p.string().length(LIMITS.videoId),
    version: p.integer(),
    payload: p.json<VideoView>(),
    status: p.enum(DELIVERY_STATUSES).columnType('varchar(16)'),
    attempts: p.integer().default(0),
    lastStatusCode: p.integer().strictNullable(),
    lastError: p.string().length(DELIVERY_ERROR_MAX).strictNullable(),
    lastAttemptAt: p.datetime().strictNullable(),
    nextAttemptAt: p.datetime().strictNullable(),
    createdAt: p.datetime(),
    deliveredAt: p.datetime().strictNullable(),
  },
  // The deliveries list: one endpoint's, newest first, paged by (createdAt, id).
  indexes: [{ name: 'webhook_deliveries_endpoint_created_index', properties: ['endpointId', 'createdAt', 'id'] }],
});
export class WebhookDeliveryRow extends WebhookDeliverySchema.class {}
WebhookDeliverySchema.setClass(WebhookDeliveryRow);

export const entities = [VideoSchema, VideoEventRecordSchema, WebhookEndpointSchema, WebhookDeliverySchema];

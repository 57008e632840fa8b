/**
 * The API's video shapes, built from the domain's schemas and limits and checked against the
 * domain's types: a field added to VideoView or HistoryRecord does not compile until it is here.
 */
import { z } from '@hono/zod-openapi';
import { progressEventSchema, storedVideoIdSchema, videoErrorSchema } from '../../../domain/event-schemas.js';
import { LIMITS, RECORDED_EVENT_ID_MAX } from '../../../domain/events.js';
import type { PublicVideo } from '../../../domain/public-video.js';
import { VIDEO_STATUSES, type HistoryRecord } from '../../../domain/video.js';

/** True only when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const time = () => z.string().openapi({ format: 'date-time' });
const timeOrNull = () => z.string().nullable().openapi({ format: 'date-time' });

export const videoViewSchema = z
  .object({
    // A view shows a stored id: one stored before the rule for new ids (VIDEO_ID_PATTERN) still lists.
    videoId: storedVideoIdSchema,
    userId: z.string().max(LIMITS.userId).nullable(),
    status: z.enum(VIDEO_STATUSES),
    progress: progressEventSchema.shape.data.shape.percent.nullable(),
    imagesUrl: z
      .string()
      .nullable()
      .openapi({ description: 'A link to the images archive that opens (presigned when stored in S3)', example: 'https://images.s3.amazonaws.com/abc.zip?X-Amz-Signature=...' }),
    imagesUrlExpiresAt: timeOrNull().openapi({ description: 'When imagesUrl stops working (a presigned link); null when it does not expire' }),
    error: videoErrorSchema.nullable(),
    createdAt: time(),
    updatedAt: time(),
    completedAt: timeOrNull(),
    stalled: z.boolean().openapi({ description: 'Past its stage deadline with no news from the processing service' }),
    stalledSince: timeOrNull(),
    version: z.number().int().min(0).openapi({
      description: 'Raised by every change of the video: orders views (SSE event ids, webhook deliveries); never goes back',
    }),
  })
  .openapi('Video');

/** What `POST /v1/videos` answers: the video and, with direct upload on, where to PUT its file. */
export const registeredVideoSchema = videoViewSchema
  .extend({
    uploadUrl: z.string().optional().openapi({
      description:
        'Direct upload (when the server has an upload bucket): PUT the video file here, in one request, before uploadUrlExpiresAt. ' +
        'Absent once the video is past `uploaded`, or when no URL could be signed',
      example: 'https://uploads.s3.amazonaws.com/uploads/demo-1?X-Amz-Signature=...',
    }),
    uploadUrlExpiresAt: time().optional().openapi({ description: 'When uploadUrl stops accepting the upload' }),
  })
  .openapi('RegisteredVideo');

export const videoListSchema = z
  .object({
    items: z.array(videoViewSchema),
    nextCursor: z.string().nullable().openapi({ description: 'The next page (pass it as cursor with the same query), or null when this is the last' }),
  })
  .openapi('VideoList');

export const historyRecordSchema = z
  .object({
    seq: z.number().int().min(1),
    eventId: z.string().max(RECORDED_EVENT_ID_MAX),
    type: z.string().max(LIMITS.eventType),
    source: z.string().max(LIMITS.source),
    eventTime: time(),
    receivedAt: time(),
    applied: z.boolean(),
    reason: z.string(),
    data: z.unknown(),
  })
  .openapi('VideoEvent');

const _viewIsDomain: Same<z.infer<typeof videoViewSchema>, PublicVideo> = true;
const _recordIsDomain: Same<z.infer<typeof historyRecordSchema>, HistoryRecord> = true;

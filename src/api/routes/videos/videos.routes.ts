import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { etag } from 'hono/etag';
import { registrationSchema, storedVideoIdSchema, videoIdSchema } from '../../../domain/event-schemas.js';
import { LIMITS, VIDEO_ID_RULE } from '../../../domain/events.js';
import { VIDEO_LIST_LIMIT } from '../../../domain/video-list.js';
import { VIDEO_STATUSES } from '../../../domain/video.js';
import { authenticated, commonProblems, jsonBody, jsonResponse, notYours } from '../../lib/openapi.js';
import { cursorParam, foreignCursorResponse } from '../../lib/cursor.js';
import { problemResponse } from '../../lib/problem.js';
import type { AppEnv } from '../../lib/types.js';
import { historyRecordSchema, registeredVideoSchema, videoListSchema, videoViewSchema } from './videos.schemas.js';

// Domain schemas are plain zod (created before @hono/zod-openapi extends it): no .openapi() on them.
const videoIdParam = z.object({ videoId: videoIdSchema });

/** How a view was read, said on every 200 of GET /v1/videos/{videoId}. */
const STATUS_HEADERS = {
  'X-Status-Source': {
    description:
      "Where the view came from: `workflow`, the video's workflow answered a query (for a video in flight); `database`, the Postgres projection " +
      "(a finished video, a closed workflow, or a fallback: see X-Status-Fallback). Also when the view was served from this API process's memory: it says where it was read.",
    schema: { type: 'string' as const, enum: ['workflow', 'database'] },
  },
  'X-Status-Age': {
    description:
      'How long ago, in whole milliseconds, the view was known to be the video\'s: a workflow\'s, since it answered (0: for this request, or for reads that shared its query; ' +
      'served again for at most X-Status-Max-Age after it answered); a finished video\'s final view, since it was read from the projection (it cannot change; kept until its row changes, so its age can be large); ' +
      'any other view from the projection (X-Status-Fallback, or a closed workflow), since its row was last written (its `updatedAt`): the workflow may have moved on since.',
    schema: { type: 'integer' as const, minimum: 0, example: 0 },
  },
  'X-Status-Fallback': {
    description:
      'Present when the workflow would have answered but the Postgres projection did (`X-Status-Source: database`): `busy`, this API process had as many workflow queries under way as it may ' +
      '(API_MAX_CONCURRENT_QUERIES); `slow`, the workflow had not answered within LIVE_VIEW_PATIENCE; `unavailable`, Temporal did not answer (an error, or TEMPORAL_QUERY_TIMEOUT_MS).',
    schema: { type: 'string' as const, enum: ['busy', 'slow', 'unavailable'] },
  },
  'X-Status-Max-Age': {
    description:
      "With `X-Status-Source: workflow`: how long after the workflow answered its view may be served again (LIVE_VIEW_MAX_AGE in milliseconds; 0: never). " +
      'X-Status-Age is at most this plus the time the API took to answer after the workflow did (a few milliseconds, more when the API process is short of CPU)',
    schema: { type: 'integer' as const, minimum: 0, example: 250 },
  },
};

/** What every route of this resource shares: its tag, bearer auth, and the problems any call can meet. */
export const videosRoute = authenticated('Videos');
export const common = commonProblems('Temporal or Postgres is not answering');
export const videoNotYours = notYours('video');

export const registerVideo = createRoute({
  ...videosRoute,
  method: 'post',
  path: '/videos',
  summary: 'Register an uploaded video',
  request: {
    body: jsonBody(
      z
        .strictObject({
          videoId: videoIdSchema.optional().describe(`${VIDEO_ID_RULE}; generated when absent`),
          fileName: registrationSchema.shape.fileName,
        })
        .openapi('RegisterVideo'),
    ),
  },
  responses: {
    201: jsonResponse('Registered (with an upload URL when direct upload is on)', registeredVideoSchema),
    200: jsonResponse('Already registered by the same user (with a fresh upload URL while still `uploaded`)', registeredVideoSchema),
    400: problemResponse('Invalid body'),
    409: problemResponse('The video id belongs to another user'),
    415: problemResponse('The body is not JSON'),
    ...common,
  },
});

const ETAG_HEADER = {
  ETag: {
    description: 'A strong validator of the response body: it changes whenever the Video JSON does',
    schema: { type: 'string' as const, example: '"2jmj7l5rSw0yVb_vlWAYkK_YBwk"' },
  },
};

export const getVideo = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/{videoId}',
  summary: "A video's status and the link to its images",
  // Answers 304 when If-None-Match names the ETag the handler set (src/api/lib/etag.ts).
  middleware: [etag() as MiddlewareHandler<AppEnv>] as const,
  // Documented, not validated: the etag middleware reads it (a validator would copy every header of every read).
  parameters: [
    {
      name: 'if-none-match',
      in: 'header',
      required: false,
      description: 'ETags of views the client holds: 304 (no body) when the view is still one of them',
      schema: { type: 'string', example: '"2jmj7l5rSw0yVb_vlWAYkK_YBwk"' },
    },
  ],
  request: { params: videoIdParam },
  responses: {
    200: { ...jsonResponse('The video', videoViewSchema), headers: { ...STATUS_HEADERS, ...ETAG_HEADER } },
    304: { description: 'Not modified: the view is the one If-None-Match names (no body)', headers: ETAG_HEADER },
    400: problemResponse('Invalid video id'),
    ...videoNotYours,
    ...common,
  },
});

const videoCursor = cursorParam(
  "The previous page's nextCursor, with the same query (filters, video): a string that is not one is a 400; another query's, another caller's or a changed one a 422",
);
export const getVideoEvents = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/{videoId}/events',
  summary: "A video's history: every event, applied or ignored, and why",
  request: {
    params: videoIdParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200), cursor: videoCursor }),
  },
  responses: {
    200: jsonResponse(
      'The history, oldest first (as persisted), a page at a time',
      z
        .object({
          videoId: storedVideoIdSchema,
          events: z.array(historyRecordSchema),
          nextCursor: z.string().nullable().openapi({ description: 'The next page, or null when this is the last' }),
        })
        .openapi('VideoEventPage'),
    ),
    400: problemResponse('Invalid video id, limit or cursor'),
    ...foreignCursorResponse,
    ...videoNotYours,
    ...common,
  },
});

/** RFC 3339, normalised to UTC milliseconds, so the same instant always makes the same query. */
const instant = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v).toISOString())
    .optional()
    .openapi({ description, format: 'date-time' });

const statusValue = z.enum(VIDEO_STATUSES);

/** What narrows a list of videos (the listing and the live stream of many videos alike). */
export const videoFilterFields = {
  // Repeatable (status=a&status=b): one value arrives as a string, several as an array.
  status: z
    .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(statusValue).min(1))
    .transform((v) => [...new Set(v)].sort())
    .optional()
    .openapi({ description: 'Only videos in one of these statuses (repeat the parameter for several)' }),
  stalled: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ description: 'Only stalled (true) or only not stalled (false) videos' }),
  // A window that closes before it opens is not an error (the schema could not say so): it holds no video.
  createdAfter: instant('Only videos created at or after this time (inclusive)'),
  createdBefore: instant('Only videos created before this time (exclusive); at or before createdAfter: none'),
  userId: z
    .string()
    .min(1)
    .max(LIMITS.userId)
    .optional()
    .openapi({ description: "Operators: only this user's videos. Others: their own id or nothing (another id is a 400)" }),
};

export const listVideosQuery = z
  .object({
    ...videoFilterFields,
    limit: z.coerce.number().int().min(1).max(VIDEO_LIST_LIMIT.max).default(VIDEO_LIST_LIMIT.default),
    cursor: videoCursor,
  });

export const listVideos = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos',
  summary: "The caller's videos (an operator: everyone's, or one user's), newest first",
  request: { query: listVideosQuery },
  responses: {
    200: jsonResponse('A page of videos, newest first (as projected in Postgres)', videoListSchema),
    400: problemResponse('Invalid filter, limit or cursor; or userId from a caller who is not an operator'),
    ...foreignCursorResponse,
    ...common,
  },
});

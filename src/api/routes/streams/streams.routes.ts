import { createRoute, z } from '@hono/zod-openapi';
import { videoIdSchema } from '../../../domain/event-schemas.js';
import { commonProblems } from '../../lib/openapi.js';
import { common, videoFilterFields, videoNotYours, videosRoute } from '../videos/videos.routes.js';
import { problemResponse } from '../../lib/problem.js';

const LAST_EVENT_ID = z
  .string()
  .regex(/^\d+$/)
  .optional()
  .openapi({ description: 'The id of the last event received: a reconnect resumes after it' });

/**
 * One event of a stream, as a client's SSE parser gives it (OpenAPI 3.1 describes each event of a
 * `text/event-stream` with `schema`): `event: video`, an `id`, the Video as JSON in `data`.
 * Comments (the heartbeat) are not events.
 */
const videoEventSchema = z
  .object({
    event: z.literal('video'),
    id: z.string().regex(/^[0-9]+$/),
    data: z.string().openapi({ description: 'The Video (schema Video), as JSON' }),
  })
  .openapi('VideoStreamEvent', {
    example: { event: 'video', id: '4', data: '{"videoId":"abc","status":"processing","progress":40,"version":4}' },
  });

const eventStream = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: videoEventSchema } },
});

export const streamVideo = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/{videoId}/stream',
  summary: "One video's changes, live (Server-Sent Events); ends after a finished video's final event",
  request: {
    params: z.object({ videoId: videoIdSchema }),
    headers: z.object({ 'last-event-id': LAST_EVENT_ID }),
  },
  responses: {
    200: eventStream('The video now (unless Last-Event-ID already has it), then every change of it'),
    204: { description: "The video is finished and Last-Event-ID already has its final event: don't reconnect" },
    400: problemResponse('Invalid video id or Last-Event-ID'),
    ...videoNotYours,
    ...common,
  },
});

export const streamVideos = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/stream',
  summary: "The caller's videos' changes, live (an operator: everyone's, or one user's), with the listing's filters",
  request: {
    query: z.object(videoFilterFields),
    headers: z.object({ 'last-event-id': LAST_EVENT_ID }),
  },
  responses: {
    200: {
      description:
        'Every change of a video in the filter (entering it, changing in it, or leaving it), as `event: video`, `data: <Video JSON>`; ' +
        "`id` is the change's place in the order of all changes, so a reconnect with Last-Event-ID resumes there (it may repeat a view you had: " +
        'compare `version`). Never ends by itself.',
      content: eventStream('').content,
    },
    400: problemResponse('Invalid filter or Last-Event-ID; or userId from a caller who is not an operator'),
    ...commonProblems('Postgres is not answering'),
  },
});

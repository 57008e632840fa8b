import { createRoute, z } from '@hono/zod-openapi';
import { LIMITS, registrationSchema, videoIdSchema } from '../../../domain/events.js';
import { jsonBody, jsonResponse } from '../../lib/openapi.js';
import { problemResponse } from '../../lib/problem.js';
import { historyRecordSchema, registeredVideoSchema, videoViewSchema } from './videos.schemas.js';

// Domain schemas are plain zod (created before @hono/zod-openapi extends it): no .openapi() on them.
const videoIdParam = z.object({ videoId: videoIdSchema });

const SOURCE_HEADER = {
  'X-Status-Source': {
    description: 'Where the view came from: the live workflow or the Postgres projection',
    schema: { type: 'string' as const, enum: ['workflow', 'database'] },
  },
};

/** What every route of this resource shares: its tag, bearer auth, and the problems any call can meet. */
const videosRoute = {
  tags: ['Videos'],
  security: [{ bearerAuth: [] }],
};
const common = {
  401: problemResponse('Missing or invalid bearer token'),
  503: problemResponse('Temporal or Postgres is not answering'),
};
const notYours = { 404: problemResponse('No such video (or not yours)') };

export const registerVideo = createRoute({
  ...videosRoute,
  method: 'post',
  path: '/videos',
  summary: 'Register an uploaded video',
  request: {
    body: jsonBody(
      z
        .strictObject({
          videoId: videoIdSchema.optional().describe(`1-${LIMITS.videoId} characters of A-Za-z0-9._-; generated when absent`),
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

export const getVideo = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/{videoId}',
  summary: "A video's status and the link to its images",
  request: { params: videoIdParam },
  responses: {
    200: { ...jsonResponse('The video', videoViewSchema), headers: SOURCE_HEADER },
    400: problemResponse('Invalid video id'),
    ...notYours,
    ...common,
  },
});

export const getVideoEvents = createRoute({
  ...videosRoute,
  method: 'get',
  path: '/videos/{videoId}/events',
  summary: "A video's history: every event, applied or ignored, and why",
  request: {
    params: videoIdParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
  },
  responses: {
    200: jsonResponse('The history, oldest first (as persisted)', z.object({ videoId: videoIdSchema, events: z.array(historyRecordSchema) })),
    400: problemResponse('Invalid video id or limit'),
    ...notYours,
    ...common,
  },
});

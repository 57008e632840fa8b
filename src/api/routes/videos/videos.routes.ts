import { createRoute, z } from '@hono/zod-openapi';
import { LIMITS, registrationSchema, videoIdSchema } from '../../../domain/events.js';
import { problemResponse } from '../../lib/problem.js';
import { historyRecordSchema, videoViewSchema } from './videos.schemas.js';

// Domain schemas are plain zod (created before @hono/zod-openapi extends it): no .openapi() on them.
const videoIdParam = z.object({ videoId: videoIdSchema });

const SOURCE_HEADER = {
  'X-Status-Source': {
    description: 'Where the view came from: the live workflow or the Postgres projection',
    schema: { type: 'string' as const, enum: ['workflow', 'database'] },
  },
};

const common = {
  401: problemResponse('Missing or invalid bearer token'),
  503: problemResponse('Temporal or Postgres is not answering'),
};

export const registerVideo = createRoute({
  method: 'post',
  path: '/videos',
  tags: ['Videos'],
  summary: 'Register an uploaded video',
  security: [{ bearerAuth: [] }],
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({
              videoId: videoIdSchema.optional().describe(`1-${LIMITS.videoId} characters of A-Za-z0-9._-; generated when absent`),
              fileName: registrationSchema.shape.fileName,
            })
            .openapi('RegisterVideo'),
        },
      },
    },
  },
  responses: {
    201: { description: 'Registered', content: { 'application/json': { schema: videoViewSchema } } },
    200: {
      description: 'Already registered by the same user',
      content: { 'application/json': { schema: videoViewSchema } },
    },
    400: problemResponse('Invalid body'),
    409: problemResponse('The video id belongs to another user'),
    ...common,
  },
});

export const getVideo = createRoute({
  method: 'get',
  path: '/videos/{videoId}',
  tags: ['Videos'],
  summary: "A video's status and the link to its images",
  security: [{ bearerAuth: [] }],
  request: { params: videoIdParam },
  responses: {
    200: {
      description: 'The video',
      headers: SOURCE_HEADER,
      content: { 'application/json': { schema: videoViewSchema } },
    },
    400: problemResponse('Invalid video id'),
    404: problemResponse('No such video (or not yours)'),
    ...common,
  },
});

export const getVideoEvents = createRoute({
  method: 'get',
  path: '/videos/{videoId}/events',
  tags: ['Videos'],
  summary: "A video's history: every event, applied or ignored, and why",
  security: [{ bearerAuth: [] }],
  request: {
    params: videoIdParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
  },
  responses: {
    200: {
      description: 'The history, oldest first (as persisted)',
      content: { 'application/json': { schema: z.object({ videoId: videoIdSchema, events: z.array(historyRecordSchema) }) } },
    },
    400: problemResponse('Invalid video id or limit'),
    404: problemResponse('No such video (or not yours)'),
    ...common,
  },
});


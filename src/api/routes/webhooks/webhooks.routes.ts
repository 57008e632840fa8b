import { createRoute, z } from '@hono/zod-openapi';
import { WEBHOOK_LIMITS } from '../../../domain/webhook-endpoints.js';
import { cursorParam, foreignCursorResponse } from '../../lib/cursor.js';
import { authenticated, commonProblems, jsonBody, jsonResponse, notYours } from '../../lib/openapi.js';
import { problemResponse } from '../../lib/problem.js';
import { createEndpointSchema, deliveriesPageSchema, deliverySchema, endpointSchema, endpointWithSecretSchema } from './webhooks.schemas.js';

const endpointParam = z.object({ id: z.uuid().openapi({ description: 'The endpoint' }) });
const deliveryParams = endpointParam.extend({
  deliveryId: z
    .string()
    .regex(/^msg_[A-Za-z0-9_-]{1,64}$/, 'must be a delivery id (msg_...)')
    .openapi({ description: 'The delivery (its webhook-id)' }),
});

/** What every route of this resource shares: its tag, bearer auth, and the problems any call can meet. */
const webhooksRoute = authenticated('Webhooks');
const common = commonProblems('Postgres (or Temporal) is not answering');
const endpointNotYours = notYours('endpoint');
const notJson = { 415: problemResponse('The request is not sent as JSON (Content-Type: application/json)') };

export const createEndpoint = createRoute({
  ...webhooksRoute,
  method: 'post',
  path: '/webhooks',
  summary: 'Register a webhook endpoint',
  description: `Deliveries follow Standard Webhooks: headers webhook-id, webhook-timestamp, webhook-signature (HMAC-SHA256 with the secret). At most ${WEBHOOK_LIMITS.endpointsPerUser} endpoints per user.`,
  request: { body: jsonBody(createEndpointSchema) },
  responses: {
    201: { ...jsonResponse('Registered; the secret is shown only now (and on rotation)', endpointWithSecretSchema), headers: { Location: { schema: { type: 'string' } } } },
    400: problemResponse('Invalid body (an unknown event type, none, or one repeated)'),
    409: problemResponse(`The user has ${WEBHOOK_LIMITS.endpointsPerUser} endpoints already`),
    422: problemResponse('The URL is not https, or resolves to a private, loopback, link-local or other special-purpose address, or does not resolve'),
    ...notJson,
    ...common,
  },
});

export const listEndpoints = createRoute({
  ...webhooksRoute,
  method: 'get',
  path: '/webhooks',
  summary: "The caller's webhook endpoints (without secrets)",
  responses: {
    200: jsonResponse('The endpoints, oldest first', z.object({ items: z.array(endpointSchema) })),
    ...common,
  },
});

export const getEndpoint = createRoute({
  ...webhooksRoute,
  method: 'get',
  path: '/webhooks/{id}',
  summary: 'One webhook endpoint: its health, and why it is disabled if it is',
  request: { params: endpointParam },
  responses: {
    200: jsonResponse('The endpoint', endpointSchema),
    400: problemResponse('Invalid endpoint id'),
    ...endpointNotYours,
    ...common,
  },
});

export const deleteEndpoint = createRoute({
  ...webhooksRoute,
  method: 'delete',
  path: '/webhooks/{id}',
  summary: 'Delete a webhook endpoint and its deliveries (retries stop)',
  request: { params: endpointParam },
  responses: {
    204: { description: 'Deleted' },
    400: problemResponse('Invalid endpoint id'),
    ...endpointNotYours,
    ...common,
  },
});

export const rotateSecret = createRoute({
  ...webhooksRoute,
  method: 'post',
  path: '/webhooks/{id}/rotate-secret',
  summary: 'Replace the signing secret',
  description: 'Deliveries are signed with the new secret and, for 24 hours, with the old one too (two signatures in webhook-signature), so a receiver can switch over.',
  request: { params: endpointParam },
  responses: {
    200: jsonResponse('The endpoint with its new secret (shown only now)', endpointWithSecretSchema),
    400: problemResponse('Invalid endpoint id'),
    ...endpointNotYours,
    ...notJson,
    ...common,
  },
});

export const enableEndpoint = createRoute({
  ...webhooksRoute,
  method: 'post',
  path: '/webhooks/{id}/enable',
  summary: 'Enable a disabled endpoint again',
  description: 'New events are delivered again; deliveries that failed meanwhile can be redelivered.',
  request: { params: endpointParam },
  responses: {
    200: jsonResponse('The endpoint, enabled', endpointSchema),
    400: problemResponse('Invalid endpoint id'),
    ...endpointNotYours,
    ...notJson,
    ...common,
  },
});

export const listDeliveries = createRoute({
  ...webhooksRoute,
  method: 'get',
  path: '/webhooks/{id}/deliveries',
  summary: "The endpoint's deliveries, newest first: status, attempts, last answer, next attempt",
  request: {
    params: endpointParam,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: cursorParam('The nextCursor of the previous page: a string that is not one is a 400; one of another list a 422'),
    }),
  },
  responses: {
    200: jsonResponse('A page of deliveries', deliveriesPageSchema),
    400: problemResponse('Invalid endpoint id, limit, or a string that is not a cursor'),
    ...foreignCursorResponse,
    ...endpointNotYours,
    ...common,
  },
});

export const redeliver = createRoute({
  ...webhooksRoute,
  method: 'post',
  path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Send a delivery again: a new attempt sequence, the same webhook-id',
  request: { params: deliveryParams },
  responses: {
    202: jsonResponse('Accepted: attempted at once, then retried as a new delivery would be', deliverySchema),
    400: problemResponse('Invalid endpoint or delivery id'),
    404: problemResponse('No such endpoint or delivery (or not yours)'),
    409: problemResponse('The endpoint is disabled: enable it first'),
    ...notJson,
    ...common,
  },
});

/**
 * Users' webhook endpoints and their deliveries log. Each user sees only their own: another
 * user's endpoint or delivery answers 404 like an unknown one.
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  countEndpoints,
  deleteEndpoint,
  findDelivery,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  saveEndpoint,
  saveRestart,
} from '../../../db/webhook-store.js';
import { enabledHealth, rotatedSecret, WEBHOOK_LIMITS, type WebhookEndpoint } from '../../../domain/webhook-endpoints.js';
import { deliveryRestarted, WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENT_TYPES, type WebhookDelivery } from '../../../domain/webhook-events.js';
import { newSigningSecret } from '../../../webhooks/secret.js';
import { createRouter } from '../../lib/create-app.js';
import { invalidCursor, type Cursors } from '../../lib/cursor.js';
import { jsonBody } from '../../lib/openapi.js';
import { HttpProblem } from '../../lib/problem.js';
import type { AppOpenAPI } from '../../lib/types.js';
import * as routes from './webhooks.routes.js';
import { signatureHeadersSchema, webhookBodySchema, type PublicDelivery, type PublicEndpoint } from './webhooks.schemas.js';

export interface WebhooksDeps {
  orm: MikroORM;
  /** Signs and reads the paging cursors of every list. */
  cursors: Cursors;
  /** Starts a redelivery (src/temporal/webhook-gateway.ts). */
  webhookDeliveries: { redeliver(deliveryId: string): Promise<void> };
  /** Why a URL may not be an endpoint (not https, a private address, no address), or null (src/webhooks). */
  checkWebhookUrl: (url: string) => Promise<string | null>;
}

const notFound = (id: string) => new HttpProblem(404, `no webhook endpoint with id "${id}"`);

const publicEndpoint = ({ userId: _u, secret: _s, previousSecret: _p, previousSecretExpiresAt: _e, ...shown }: WebhookEndpoint): PublicEndpoint => shown;
const withSecret = (endpoint: WebhookEndpoint) => ({ ...publicEndpoint(endpoint), secret: endpoint.secret });
const publicDelivery = ({ endpointId: _e, payload: _p, ...shown }: WebhookDelivery): PublicDelivery => shown;

export function createWebhooksRouter({ orm, cursors, webhookDeliveries, checkWebhookUrl }: WebhooksDeps) {
  /** The caller's endpoint, or 404. */
  const owned = async (userId: string, id: string) => {
    const endpoint = await findEndpoint(orm.em, userId, id);
    if (!endpoint) throw notFound(id);
    return endpoint;
  };

  return createRouter()
    .openapi(routes.createEndpoint, async (c) => {
      const { url, events } = c.req.valid('json');
      const { userId } = c.get('principal');
      const refusal = await checkWebhookUrl(url);
      if (refusal) throw new HttpProblem(422, `url: ${refusal}`, { errors: [{ path: 'url', message: refusal }] });
      if ((await countEndpoints(orm.em, userId)) >= WEBHOOK_LIMITS.endpointsPerUser) {
        throw new HttpProblem(409, `at most ${WEBHOOK_LIMITS.endpointsPerUser} webhook endpoints per user: delete one first`);
      }
      const endpoint: WebhookEndpoint = {
        id: randomUUID(),
        userId,
        url,
        events,
        secret: newSigningSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        createdAt: new Date().toISOString(),
        disabled: false,
        disabledReason: null,
        disabledAt: null,
        lastSuccessAt: null,
        failingSince: null,
      };
      await insertEndpoint(orm.em, endpoint);
      return c.json(withSecret(endpoint), 201, { Location: `/v1/webhooks/${endpoint.id}` });
    })
    .openapi(routes.listEndpoints, async (c) => {
      const endpoints = await listEndpoints(orm.em, c.get('principal').userId);
      return c.json({ items: endpoints.map(publicEndpoint) }, 200);
    })
    .openapi(routes.getEndpoint, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(publicEndpoint(await owned(c.get('principal').userId, id)), 200);
    })
    .openapi(routes.deleteEndpoint, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await deleteEndpoint(orm.em, c.get('principal').userId, id))) throw notFound(id);
      return c.body(null, 204);
    })
    .openapi(routes.rotateSecret, async (c) => {
      const { id } = c.req.valid('param');
      const rotated = rotatedSecret(await owned(c.get('principal').userId, id), newSigningSecret(), new Date().toISOString());
      await saveEndpoint(orm.em, rotated);
      return c.json(withSecret(rotated), 200);
    })
    .openapi(routes.enableEndpoint, async (c) => {
      const { id } = c.req.valid('param');
      const endpoint = await owned(c.get('principal').userId, id);
      const enabled = { ...endpoint, ...enabledHealth(endpoint) };
      await saveEndpoint(orm.em, enabled);
      return c.json(publicEndpoint(enabled), 200);
    })
    .openapi(routes.listDeliveries, async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const { userId } = c.get('principal');
      await owned(userId, id);
      const query = { route: 'webhook-deliveries', userId, endpointId: id };
      const after = cursor === undefined ? undefined : positionOf(cursors.decode(query, cursor));
      const page = await listDeliveries(orm.em, id, limit + 1, after);
      const items = page.slice(0, limit);
      const last = items.at(-1);
      const nextCursor = page.length > limit && last ? cursors.encode(query, [last.createdAt, last.id]) : null;
      return c.json({ items: items.map(publicDelivery), nextCursor }, 200);
    })
    .openapi(routes.redeliver, async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      const endpoint = await owned(c.get('principal').userId, id);
      const delivery = await findDelivery(orm.em, id, deliveryId);
      if (!delivery) throw new HttpProblem(404, `no delivery "${deliveryId}" for webhook endpoint "${id}"`);
      if (endpoint.disabled) throw new HttpProblem(409, `the endpoint is disabled (${endpoint.disabledReason ?? 'no reason'}): enable it first`);
      // Pending in the list at once; the workflow's first attempt writes its outcome over it.
      const restarted = deliveryRestarted(delivery, new Date().toISOString());
      await saveRestart(orm.em, restarted);
      await webhookDeliveries.redeliver(deliveryId);
      return c.json(publicDelivery(restarted), 202);
    });
}

/** A deliveries cursor's position: signed by us, so its shape is ours; checked anyway. */
function positionOf(position: unknown[]): { createdAt: string; id: string } {
  const [createdAt, id] = position;
  if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) {
    throw invalidCursor();
  }
  return { createdAt, id };
}

/** Documents what vidproc POSTs to endpoints: one OpenAPI 3.1 webhook per event type. */
export function documentWebhookEvents(app: AppOpenAPI): void {
  for (const type of WEBHOOK_EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      tags: ['Webhooks'],
      summary: WEBHOOK_EVENT_DESCRIPTIONS[type],
      request: { headers: signatureHeadersSchema, body: jsonBody(webhookBodySchema(type)) },
      responses: {
        200: { description: 'Any 2xx: delivered. Anything else (or no answer within the timeout) is retried with backoff.' },
      },
    });
  }
}

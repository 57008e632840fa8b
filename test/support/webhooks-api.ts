/**
 * The webhooks API as a user drives it in the tests: the real app (app.request) over a harness's
 * Postgres and Temporal, bearer tokens per user, and helpers to register an endpoint for a fresh
 * receiver that verifies with the endpoint's secret. Users get ids of their own per run: the test
 * database is shared by every test file, and another file's videos of a user named `carol` must
 * not reach these endpoints (nor these videos another file's).
 */
import { randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import type { PublicDelivery, PublicEndpoint } from '../../src/api/routes/webhooks/webhooks.schemas.js';
import type { WebhookEventType } from '../../src/domain/webhook-events.js';
import type { VideoGateway } from '../../src/temporal/video-gateway.js';
import { createEndpointUrlCheck } from '../../src/webhooks/endpoint-address.js';
import { startTestApi } from './api.js';
import type { TemporalHarness } from './env.js';
import { startSignedWebhookReceiver, type SignedWebhookReceiver } from './webhook-receiver.js';

export type Endpoint = PublicEndpoint & { secret?: string };
export type Delivery = PublicDelivery;

export interface WebhooksApi {
  /** The user id (the token's subject) of the user the test calls `name`. */
  user(name: string): string;
  /** The API with private addresses and plain http allowed (the receivers are on 127.0.0.1). */
  app: Api;
  /** The API as in production: https on public addresses only. */
  strictApp: Api;
  call(path: string, init: RequestInit & { as: string; on?: Api }): Promise<Response>;
  post(path: string, as: string, body?: unknown, on?: Api): Promise<Response>;
  /** A new receiver and an endpoint of `as` for it; the receiver verifies with the endpoint's secret. */
  subscribe(as: string, events: WebhookEventType[]): Promise<{ endpoint: Endpoint; receiver: SignedWebhookReceiver }>;
  endpointOf(as: string, id: string): Promise<Endpoint>;
  deliveriesOf(as: string, endpointId: string, query?: string): Promise<{ items: Delivery[]; nextCursor: string | null }>;
  /** Closes the receivers `subscribe` started. */
  close(): Promise<void>;
}

export async function startWebhooksApi(h: TemporalHarness, videos: VideoGateway, users: string[]): Promise<WebhooksApi> {
  const secret = h.config.AUTH_JWT_SECRET!;
  const apis = [true, false].map((allowPrivate) => startTestApi(h, { videos, checkWebhookUrl: createEndpointUrlCheck(allowPrivate) }));
  const [app, strictApp] = apis.map((api) => api.app) as [Api, Api];
  const suffix = randomUUID().slice(0, 8);
  const user = (name: string) => `${name}-${suffix}`;
  const tokens: Record<string, string> = {};
  for (const name of users) tokens[name] = await signDevToken(secret, user(name));
  const receivers: SignedWebhookReceiver[] = [];

  const call = async (path: string, init: RequestInit & { as: string; on?: Api }) => {
    const { as, on = app, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('Authorization', `Bearer ${tokens[as]}`);
    if (rest.method === 'POST' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    return on.request(path, { ...rest, headers });
  };
  const post = (path: string, as: string, body: unknown = {}, on?: Api) => call(path, { method: 'POST', as, body: JSON.stringify(body), ...(on ? { on } : {}) });
  const ok = async <T>(res: Response, status = 200): Promise<T> => {
    expect(res.status).toBe(status);
    return (await res.json()) as T;
  };

  return {
    user,
    app,
    strictApp,
    call,
    post,
    async subscribe(as, events) {
      const receiver = await startSignedWebhookReceiver();
      receivers.push(receiver);
      const endpoint = await ok<Endpoint>(await post('/v1/webhooks', as, { url: receiver.url, events }), 201);
      receiver.secrets.push(endpoint.secret!);
      return { endpoint, receiver };
    },
    endpointOf: async (as, id) => ok<Endpoint>(await call(`/v1/webhooks/${id}`, { as })),
    deliveriesOf: async (as, endpointId, query = '') => ok(await call(`/v1/webhooks/${endpointId}/deliveries${query}`, { as })),
    async close() {
      for (const r of receivers) await r.close();
      for (const api of apis) await api.close();
    },
  };
}

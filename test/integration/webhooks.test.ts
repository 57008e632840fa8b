/**
 * Users' webhooks end to end on the real services: endpoints registered through the API
 * (app.request), videos moved by real events through Temporal (the dev server, a real worker),
 * deliveries recorded in Postgres and POSTed by delivery workflows to real HTTP receivers that
 * verify every signature with the Standard Webhooks library. Backoffs are short (config) so a
 * receiver that is down for a while, then back, is a matter of seconds.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../src/domain/webhook-events.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { createWebhookSender } from '../../src/webhooks/sender.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startSignedWebhookReceiver, type SignedWebhookReceiver } from '../support/webhook-receiver.js';
import { startWebhooksApi, type Endpoint, type WebhooksApi } from '../support/webhooks-api.js';

let h: TemporalHarness;
let videos: VideoGateway;
let api: WebhooksApi;
const receivers: SignedWebhookReceiver[] = [];

beforeAll(async () => {
  h = await startHarness(
    testConfig({
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT: '2s',
      WEBHOOK_RETRY_INITIAL: '200ms',
      WEBHOOK_RETRY_MAX_INTERVAL: '1s',
      WEBHOOK_RETRY_FOR: '5m',
    }),
  );
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE, workflowDefaults: { lingerMs: 1_000 } });
  api = await startWebhooksApi(h, videos, ['alice', 'bob', 'carol', 'dave', 'erin']);
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await api?.close();
  await h?.stop();
});

const call: WebhooksApi['call'] = (path, init) => api.call(path, init);
const post: WebhooksApi['post'] = (path, as, body, on) => api.post(path, as, body, on);
const subscribe: WebhooksApi['subscribe'] = (as, events) => api.subscribe(as, events);
const deliveriesOf: WebhooksApi['deliveriesOf'] = (as, id, query) => api.deliveriesOf(as, id, query);

async function expectProblem(res: Response, status: number): Promise<{ detail?: string }> {
  expect({ status: res.status, type: res.headers.get('Content-Type') }).toEqual({ status, type: 'application/problem+json' });
  return (await res.json()) as { detail?: string };
}

/** Waits until the receiver has (deduplicated) webhooks of every one of these types for the video. */
const receivedTypes = (receiver: SignedWebhookReceiver, videoId: string, types: WebhookEventType[]) =>
  eventually(
    () => {
      const got = receiver.unique().filter((r) => r.body.data.videoId === videoId);
      return types.every((t) => got.some((r) => r.body.type === t)) ? got : undefined;
    },
    { timeoutMs: 30_000 },
  );

describe('webhook endpoints', () => {
  it('registers one (201, the secret shown only then), lists it without secrets, and keeps it from other users (404)', async () => {
    const res = await post('/v1/webhooks', 'alice', { url: 'http://127.0.0.1:9/hook', events: ['video.completed', 'video.failed'] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Endpoint & Record<string, unknown>;
    expect(created).toMatchObject({ url: 'http://127.0.0.1:9/hook', events: ['video.completed', 'video.failed'], disabled: false, disabledReason: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(res.headers.get('Location')).toBe(`/v1/webhooks/${created.id}`);

    const list = (await (await call('/v1/webhooks', { as: 'alice' })).json()) as { items: Array<Record<string, unknown>> };
    const listed = list.items.find((e) => e.id === created.id)!;
    expect(listed).toMatchObject({ id: created.id, url: created.url, events: created.events, disabled: false });
    expect(JSON.stringify(list)).not.toContain('whsec_');
    expect(JSON.stringify(await (await call(`/v1/webhooks/${created.id}`, { as: 'alice' })).json())).not.toContain('whsec_');

    // Bob sees nothing of it, and can touch nothing of it.
    const bobs = (await (await call('/v1/webhooks', { as: 'bob' })).json()) as { items: unknown[] };
    expect(bobs.items.some((e) => (e as { id: string }).id === created.id)).toBe(false);
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { as: 'bob' }), 404);
    await expectProblem(await call(`/v1/webhooks/${created.id}/deliveries`, { as: 'bob' }), 404);
    await expectProblem(await post(`/v1/webhooks/${created.id}/rotate-secret`, 'bob'), 404);
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { method: 'DELETE', as: 'bob' }), 404);

    // Rotation shows a new secret once; deletion is for good.
    const rotated = (await (await post(`/v1/webhooks/${created.id}/rotate-secret`, 'alice')).json()) as Endpoint;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect((await call(`/v1/webhooks/${created.id}`, { method: 'DELETE', as: 'alice' })).status).toBe(204);
    await expectProblem(await call(`/v1/webhooks/${created.id}`, { method: 'DELETE', as: 'alice' }), 404);
  });

  it.each([
    ['plain http', 'http://example.com/hook', /must be an https URL/],
    ['the loopback address', 'https://127.0.0.1/hook', /127\.0\.0\.1 is a loopback address/],
    ['a name that resolves to 127.0.0.1', 'https://localhost:8443/hook', /localhost resolves to .* loopback address/],
    ['IPv6 loopback', 'https://[::1]/hook', /::1 is a loopback address/],
    ['the cloud metadata address', 'https://169.254.169.254/latest/meta-data', /linkLocal/],
    ['a private address', 'https://10.0.0.8/hook', /private/],
    ['a name that does not resolve', 'https://no-such-host.invalid/hook', /does not resolve/],
  ])('refuses %s with 422 when private addresses are not allowed', async (_, url, reason) => {
    const body = await expectProblem(await post('/v1/webhooks', 'alice', { url, events: ['video.completed'] }, api.strictApp), 422);
    expect(body.detail).toMatch(reason);
  });

  it('refuses bad input: 400 for unknown, repeated or no event types and a non-URL; 415 for a body that is not JSON', async () => {
    await expectProblem(await post('/v1/webhooks', 'alice', { url: 'http://127.0.0.1:9/', events: ['video.exploded'] }), 400);
    await expectProblem(await post('/v1/webhooks', 'alice', { url: 'http://127.0.0.1:9/', events: [] }), 400);
    await expectProblem(await post('/v1/webhooks', 'alice', { url: 'http://127.0.0.1:9/', events: ['video.failed', 'video.failed'] }), 400);
    await expectProblem(await post('/v1/webhooks', 'alice', { url: 'http://127.0.0.1:9/', events: ['video.failed'], extra: 1 }), 400);
    await expectProblem(await post('/v1/webhooks', 'alice', { url: 'nope', events: ['video.failed'] }), 422);
    await expectProblem(await call('/v1/webhooks/not-a-uuid', { as: 'alice' }), 400);
    const text = await call('/v1/webhooks', { method: 'POST', as: 'alice', body: 'url=x', headers: { 'Content-Type': 'text/plain' } });
    await expectProblem(text, 415);
  });
});

describe('deliveries', () => {
  it('video.completed with the link reaches the receiver, signed (Standard Webhooks), one webhook-id per event; the log says delivered', async () => {
    const { endpoint, receiver } = await subscribe('alice', ['video.created', 'video.processing', 'video.completed']);
    const id = uniqueId('hook-done');
    expect((await post('/v1/videos', 'alice', { videoId: id })).status).toBe(201);
    await videos.sendEvent(ev.started(id));
    await videos.sendEvent(ev.progress(id, 50));
    await videos.sendEvent(ev.completed(id, `https://cdn.example.com/${id}.zip`, 24));

    const got = await receivedTypes(receiver, id, ['video.created', 'video.processing', 'video.completed']);
    expect(receiver.rejected).toEqual([]);
    expect(got.map((r) => r.body.type)).toEqual(expect.arrayContaining(['video.created', 'video.processing', 'video.completed']));
    expect(got.some((r) => r.body.type === 'video.progress')).toBe(false); // not subscribed
    const completed = got.find((r) => r.body.type === 'video.completed')!;
    expect(completed.body.data).toMatchObject({
      videoId: id,
      userId: api.user('alice'),
      status: 'completed',
      progress: 100,
      imagesUrl: `https://cdn.example.com/${id}.zip`,
      imagesUrlExpiresAt: null,
      error: null,
    });
    expect(completed.headers['content-type']).toBe('application/json');
    expect(Number(completed.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(Date.parse(completed.body.timestamp)).not.toBeNaN();
    // Each event carries the video's version: a receiver can order them and drop an older one.
    const byVersion = [...got].sort((a, b) => a.body.data.version - b.body.data.version).map((r) => r.body.type);
    expect(byVersion).toEqual(['video.created', 'video.processing', 'video.completed']);

    const { items } = await eventually(async () => {
      const page = await deliveriesOf('alice', endpoint.id);
      return page.items.filter((d) => d.videoId === id).every((d) => d.status === 'delivered') ? page : undefined;
    });
    const mine = items.filter((d) => d.videoId === id);
    expect(new Set(mine.map((d) => d.id))).toEqual(new Set(got.map((r) => r.id)));
    for (const d of mine) {
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
      expect(d.id).toMatch(/^msg_/);
    }
    expect(mine.find((d) => d.type === 'video.completed')?.version).toBe(completed.body.data.version);
  });

  it('video.failed from the processing service carries its error code and message', async () => {
    const { receiver } = await subscribe('bob', ['video.failed']);
    const id = uniqueId('hook-fail');
    await videos.sendEvent(ev.uploaded(id, api.user('bob')));
    await videos.sendEvent(ev.started(id));
    await videos.sendEvent(ev.failed(id, 'DECODE_ERROR', 'cannot decode stream'));
    const [failed] = await receivedTypes(receiver, id, ['video.failed']);
    expect(failed!.body).toMatchObject({ type: 'video.failed', data: { status: 'failed', error: { code: 'DECODE_ERROR', message: 'cannot decode stream' } } });
    expect(receiver.rejected).toEqual([]);
  });

  it("video.failed from an operator's fail carries FAILED_BY_OPERATOR and the reason", async () => {
    const { receiver } = await subscribe('carol', ['video.failed', 'video.processing']);
    const id = uniqueId('hook-ops');
    await post('/v1/videos', 'carol', { videoId: id });
    await videos.sendEvent(ev.started(id));
    await receivedTypes(receiver, id, ['video.processing']);
    await videos.operate(id, { type: 'fail', by: 'ops-zoe', reason: 'source file is corrupt' });
    const got = await receivedTypes(receiver, id, ['video.failed']);
    expect(got.find((r) => r.body.type === 'video.failed')!.body.data).toMatchObject({
      status: 'failed',
      error: { code: 'FAILED_BY_OPERATOR', message: 'source file is corrupt' },
    });
  });

  it('a receiver that is down for a while gets every delivery when it is back, once per webhook-id after deduplication; the retries are in the log', async () => {
    const { endpoint, receiver } = await subscribe('dave', ['video.created', 'video.processing', 'video.stalled', 'video.completed', 'video.failed']);
    await receiver.stop();
    const ids = [uniqueId('down-a'), uniqueId('down-b')];
    for (const id of ids) await post('/v1/videos', 'dave', { videoId: id });
    await videos.sendEvent(ev.started(ids[0]!));
    await videos.sendEvent(ev.completed(ids[0]!));
    await videos.sendEvent(ev.failed(ids[1]!, 'E_SOURCE', 'source vanished'));

    // Connections refused: retried with backoff, each attempt in the log.
    const retrying = await eventually(async () => {
      const { items } = await deliveriesOf('dave', endpoint.id);
      return items.length === 5 && items.every((d) => d.attempts >= 2) ? items : undefined;
    }, { timeoutMs: 30_000 });
    for (const d of retrying) {
      expect(d).toMatchObject({ status: 'pending', lastStatusCode: null });
      expect(d.lastError).toMatch(/ECONNREFUSED|ECONNRESET|socket hang up/);
      expect(Date.parse(d.nextAttemptAt!)).toBeGreaterThan(Date.parse(d.lastAttemptAt!));
    }

    // Back, but answering 500 for a while: the status code is logged.
    receiver.failWith(500);
    await receiver.start();
    const erroring = await eventually(async () => {
      const { items } = await deliveriesOf('dave', endpoint.id);
      return items.every((d) => d.lastStatusCode === 500) ? items : undefined;
    }, { timeoutMs: 30_000 });
    expect(erroring[0]!.lastError).toBe('answered 500: receiver is failing on purpose');
    expect(erroring.every((d) => d.status === 'pending')).toBe(true);

    receiver.failWith(null);
    const delivered = await eventually(async () => {
      const { items } = await deliveriesOf('dave', endpoint.id);
      return items.every((d) => d.status === 'delivered') ? items : undefined;
    }, { timeoutMs: 30_000 });
    expect(receiver.rejected).toEqual([]);
    const unique = receiver.unique();
    expect(unique.map((r) => r.id).sort()).toEqual(delivered.map((d) => d.id).sort());
    expect(unique.map((r) => `${r.body.data.videoId}:${r.body.type}`).sort()).toEqual(
      [`${ids[0]}:video.created`, `${ids[0]}:video.processing`, `${ids[0]}:video.completed`, `${ids[1]}:video.created`, `${ids[1]}:video.failed`].sort(),
    );
    for (const d of delivered) {
      expect(d.attempts).toBeGreaterThanOrEqual(3);
      expect(d).toMatchObject({ lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    }

    // The log pages with the cursor, newest first; a cursor from another endpoint's log is refused.
    const first = await deliveriesOf('dave', endpoint.id, '?limit=2');
    expect(first.items).toHaveLength(2);
    const second = await deliveriesOf('dave', endpoint.id, `?limit=2&cursor=${first.nextCursor}`);
    const third = await deliveriesOf('dave', endpoint.id, `?limit=2&cursor=${second.nextCursor}`);
    expect([...first.items, ...second.items, ...third.items].map((d) => d.id)).toEqual(delivered.map((d) => d.id));
    expect(third.nextCursor).toBeNull();
    const other = await subscribe('dave', ['video.failed']);
    await expectProblem(await call(`/v1/webhooks/${other.endpoint.id}/deliveries?cursor=${first.nextCursor}`, { as: 'dave' }), 422);
    await expectProblem(await call(`/v1/webhooks/${other.endpoint.id}/deliveries?cursor=not-a-cursor`, { as: 'dave' }), 400);
  });

  it('a delivery survives its worker stopping: the next worker on the task queue carries on its retries', async () => {
    const { endpoint, receiver } = await subscribe('carol', ['video.completed']);
    await receiver.stop();
    const config = testConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_INITIAL: '200ms', WEBHOOK_RETRY_MAX_INTERVAL: '1s' });
    const first = await startHarness(config);
    const id = uniqueId('restart');
    const gateway = createVideoGateway(first.client, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowDefaults: { lingerMs: 1_000 } });
    await gateway.sendEvent(ev.uploaded(id, api.user('carol')));
    await gateway.sendEvent(ev.completed(id));
    await eventually(async () => (await deliveriesOf('carol', endpoint.id)).items.find((d) => d.videoId === id && d.attempts >= 2));
    await first.stop(); // the only worker on that task queue: nothing runs the delivery now

    await receiver.start();
    const second = await startHarness(config);
    try {
      const [got] = await receivedTypes(receiver, id, ['video.completed']);
      const delivered = await eventually(async () => (await deliveriesOf('carol', endpoint.id)).items.find((d) => d.id === got!.id && d.status === 'delivered'));
      expect(delivered.attempts).toBeGreaterThanOrEqual(3);
      expect(receiver.rejected).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it('redeliver: 202, the same webhook-id arrives again; another user cannot redeliver it (404)', async () => {
    const { endpoint, receiver } = await subscribe('erin', ['video.completed']);
    const id = uniqueId('redeliver');
    await videos.sendEvent(ev.uploaded(id, api.user('erin')));
    await videos.sendEvent(ev.completed(id));
    const [first] = await receivedTypes(receiver, id, ['video.completed']);

    const res = await post(`/v1/webhooks/${endpoint.id}/deliveries/${first!.id}/redeliver`, 'erin');
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: first!.id, status: 'pending' });
    await eventually(() => (receiver.received.filter((r) => r.id === first!.id).length === 2 ? true : undefined));
    const again = receiver.received.filter((r) => r.id === first!.id);
    expect(again[1]!.body).toEqual(again[0]!.body);
    expect(receiver.unique().filter((r) => r.body.data.videoId === id)).toHaveLength(1);
    const { items } = await eventually(async () => {
      const page = await deliveriesOf('erin', endpoint.id);
      const again = page.items.find((d) => d.id === first!.id);
      return again?.status === 'delivered' && again.attempts === 2 ? page : undefined;
    });
    expect(items.find((d) => d.id === first!.id)).toMatchObject({ status: 'delivered', attempts: 2 });

    // Someone else's delivery: through their endpoint or through one's own, it does not exist.
    await expectProblem(await post(`/v1/webhooks/${endpoint.id}/deliveries/${first!.id}/redeliver`, 'alice'), 404);
    const alices = await subscribe('alice', ['video.completed']);
    await expectProblem(await post(`/v1/webhooks/${alices.endpoint.id}/deliveries/${first!.id}/redeliver`, 'alice'), 404);
    await expectProblem(await post(`/v1/webhooks/${endpoint.id}/deliveries/msg_unknown/redeliver`, 'erin'), 404);
  });

  it('after a rotation, deliveries verify with the new secret and, for a while, with the old one too', async () => {
    const { endpoint, receiver } = await subscribe('alice', ['video.created']);
    const old = receiver.secrets[0]!;
    const rotated = (await (await post(`/v1/webhooks/${endpoint.id}/rotate-secret`, 'alice')).json()) as Endpoint;
    receiver.secrets.splice(0, 1, rotated.secret!);
    const id = uniqueId('rotated');
    await post('/v1/videos', 'alice', { videoId: id });
    const [delivered] = await receivedTypes(receiver, id, ['video.created']);
    expect(receiver.rejected).toEqual([]);
    // The same request verifies with the old secret alone too (two signatures in the header).
    const signatures = String(delivered!.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    receiver.secrets.splice(0, 1, old);
    const id2 = uniqueId('rotated');
    await post('/v1/videos', 'alice', { videoId: id2 });
    await receivedTypes(receiver, id2, ['video.created']);
    expect(receiver.rejected).toEqual([]);
  });

  it('progress is sampled: a burst of progress events makes few video.progress webhooks, and the latest value arrives', async () => {
    const { receiver } = await subscribe('bob', ['video.progress']);
    const id = uniqueId('progress');
    await videos.sendEvent(ev.uploaded(id, api.user('bob')));
    await videos.sendEvent(ev.started(id));
    // Twelve changes of progress over about two seconds: twelve webhooks if each went out.
    for (let p = 5; p <= 60; p += 5) {
      await videos.sendEvent(ev.progress(id, p));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const latest = await eventually(() => receiver.ofType('video.progress').find((r) => r.body.data.videoId === id && r.body.data.progress === 60), {
      timeoutMs: 20_000,
    });
    const samples = receiver.ofType('video.progress').filter((r) => r.body.data.videoId === id);
    // The first at once, then the latest once the sampling interval (5 s) has passed.
    expect(samples.length).toBeLessThanOrEqual(3);
    expect(samples.at(-1)).toBe(latest);
    const versions = samples.map((r) => r.body.data.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    await videos.sendEvent(ev.completed(id));
  });

  it('a deleted endpoint gets nothing more', async () => {
    const { endpoint, receiver } = await subscribe('carol', ['video.created', 'video.completed']);
    const id = uniqueId('deleted');
    await post('/v1/videos', 'carol', { videoId: id });
    await receivedTypes(receiver, id, ['video.created']);
    expect((await call(`/v1/webhooks/${endpoint.id}`, { method: 'DELETE', as: 'carol' })).status).toBe(204);
    await videos.sendEvent(ev.completed(id));
    const { receiver: witness } = await subscribe('carol', ['video.completed']);
    const id2 = uniqueId('deleted');
    await post('/v1/videos', 'carol', { videoId: id2 });
    await videos.sendEvent(ev.completed(id2));
    await receivedTypes(witness, id2, ['video.completed']); // deliveries made after the delete went out
    expect(receiver.ofType('video.completed')).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('declares every webhooks route with its parameters, responses and errors, and each event body', async () => {
    const doc = (await (await api.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>>;
      webhooks: Record<string, { post: { requestBody: unknown } }>;
    };
    const responses = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
    expect(responses('/v1/webhooks', 'post')).toEqual(['201', '400', '401', '409', '413', '415', '422', '429', '500', '503']);
    expect(responses('/v1/webhooks', 'get')).toEqual(['200', '401', '429', '500', '503']);
    expect(responses('/v1/webhooks/{id}', 'delete')).toEqual(['204', '400', '401', '404', '429', '500', '503']);
    expect(responses('/v1/webhooks/{id}/rotate-secret', 'post')).toEqual(['200', '400', '401', '404', '415', '429', '500', '503']);
    expect(responses('/v1/webhooks/{id}/deliveries', 'get')).toEqual(['200', '400', '401', '404', '422', '429', '500', '503']);
    expect(doc.paths['/v1/webhooks/{id}/deliveries']!.get!.parameters!.map((p) => p.name).sort()).toEqual(['cursor', 'id', 'limit']);
    expect(responses('/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', 'post')).toEqual(['202', '400', '401', '404', '409', '415', '429', '500', '503']);
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    expect(JSON.stringify(doc.webhooks['video.failed'])).toContain('webhook-signature');
    expect(JSON.stringify(doc)).toContain('The event types to receive (one or more, each once): `video.created`');
  });
});

describe('the sender', () => {
  it('gives up on a receiver that does not answer within the timeout, and does not follow redirects', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data' }).end();
      // otherwise: never answers
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = createWebhookSender({ allowPrivate: true, timeoutMs: 300 });
    try {
      expect(await sender.post(`http://127.0.0.1:${port}/slow`, {}, '{}')).toEqual({ ok: false, statusCode: null, error: 'no answer within 300 ms' });
      expect(await sender.post(`http://127.0.0.1:${port}/moved`, {}, '{}')).toEqual({ ok: false, statusCode: 302, error: 'answered 302 (redirects are not followed)' });
    } finally {
      sender.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the sender checks the address again at each delivery', () => {
  it('refuses to connect to a loopback address unless private addresses are allowed', async () => {
    const receiver = await startSignedWebhookReceiver();
    receivers.push(receiver);
    receiver.secrets.push('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const strict = createWebhookSender({ allowPrivate: false, timeoutMs: 2_000 });
    const lenient = createWebhookSender({ allowPrivate: true, timeoutMs: 2_000 });
    try {
      const https = receiver.url.replace('http://', 'https://');
      expect(await strict.post(https, {}, '{}')).toEqual({ ok: false, statusCode: null, error: 'not sent: 127.0.0.1 is a loopback address; only public addresses are allowed' });
      const localhost = https.replace('127.0.0.1', 'localhost');
      expect(await strict.post(localhost, {}, '{}')).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/^not sent: localhost resolves to .* loopback address/) });
      expect(receiver.received).toEqual([]);
      expect(receiver.rejected).toEqual([]);
      // Allowed: it connects (and this unsigned request is refused by the receiver's check).
      expect(await lenient.post(receiver.url, {}, '{}')).toMatchObject({ ok: false, statusCode: 401 });
      expect(receiver.rejected).toHaveLength(1);
    } finally {
      strict.close();
      lenient.close();
    }
  });
});

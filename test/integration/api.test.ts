/**
 * The HTTP API through app.request(), over the real Temporal dev server, worker and Postgres.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Api } from '../../src/api/app.js';
import { createAuthenticator, signDevToken } from '../../src/api/lib/auth.js';
import { connectDatabase } from '../../src/db/index.js';
import { saveVideo } from '../../src/db/video-store.js';
import { newVideo } from '../../src/domain/video.js';
import { openBrokerReadiness, type BrokerReadiness } from '../../src/amqp/readiness.js';
import { postgresCheck, temporalCheck } from '../../src/api/lib/readiness-checks.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { ev, uniqueId } from '../support/events.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { eventually, startHarness, testLogger, type TemporalHarness } from '../support/env.js';

let h: TemporalHarness;
let videos: VideoGateway;
let app: Api;
let broker: BrokerReadiness;
let secret: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  secret = h.config.AUTH_JWT_SECRET!;
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  broker = await openBrokerReadiness(h.config.AMQP_URL, testLogger);
  ({ app } = startTestApi(h, {
    videos,
    readiness: { postgres: postgresCheck(h.orm), rabbitmq: broker.check, temporal: temporalCheck(h.connection) },
  }));
  tokens.alice = await signDevToken(secret, 'alice');
  tokens.bob = await signDevToken(secret, 'bob');
  tokens.ops = await signDevToken(secret, 'ops', ['operator']);
});
afterAll(async () => {
  await closeTestApis();
  await broker?.close();
  await h?.stop();
});

const call = (path: string, init: RequestInit & { as?: string } = {}) => {
  const { as, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (as) headers.set('Authorization', `Bearer ${tokens[as] ?? as}`);
  if (rest.body) headers.set('Content-Type', 'application/json');
  return app.request(path, { ...rest, headers });
};
const register = (as: string, body: unknown) => call('/v1/videos', { method: 'POST', as, body: JSON.stringify(body) });
const expectProblem = async (res: Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/problem+json');
  const body = (await res.json()) as { status: number; title: string; detail?: string };
  expect(body.status).toBe(status);
  return body;
};

describe('authentication', () => {
  it('refuses requests without a valid bearer token', async () => {
    const missing = await call('/v1/videos/abc');
    expect((await expectProblem(missing, 401)).detail).toMatch(/bearer token is required/);
    expect(missing.headers.get('WWW-Authenticate')).toContain('Bearer');
    await expectProblem(await call('/v1/videos/abc', { as: 'not-a-jwt' }), 401);
    const forged = await signDevToken('another-secret-another-secret-another-secret', 'alice');
    await expectProblem(await call('/v1/videos/abc', { as: forged }), 401);
    const expired = await signDevToken(secret, 'alice', [], '-1m');
    expect((await expectProblem(await call('/v1/videos/abc', { as: expired }), 401)).detail).toMatch(/exp/);
    const key = new TextEncoder().encode(secret);
    const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(key);
    expect((await expectProblem(await call('/v1/videos/abc', { as: forever }), 401)).detail).toMatch(/exp/);
    const longSub = await signDevToken(secret, 'x'.repeat(201));
    expect((await expectProblem(await call('/v1/videos/abc', { as: longSub }), 401)).detail).toMatch(/subject/);
  });

  it('takes the token from the Authorization header only: not from the query or a cookie', async () => {
    for (const query of ['access_token', 'token', 'jwt']) {
      const res = await app.request(`/v1/videos/abc?${query}=${tokens.alice}`);
      expect((await expectProblem(res, 401)).detail).toMatch(/bearer token is required/);
    }
    const cookie = await app.request('/v1/videos/abc', { headers: { Cookie: `token=${tokens.alice}; access_token=${tokens.alice}` } });
    await expectProblem(cookie, 401);
    const basic = await app.request('/v1/videos/abc', { headers: { Authorization: `Basic ${tokens.alice}` } });
    await expectProblem(basic, 401);
  });

  it('fetches the key set again for an unknown key id at most once per cooldown', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'known', alg: 'ES256', use: 'sig' };
    let fetches = 0;
    const server: Server = createServer((_req, res) => {
      fetches++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const sign = (kid: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).setSubject('es-user').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      const cooled = createAuthenticator({ jwksUrl, jwksCooldownMs: 60_000 }, { keep: 0 });
      await expect(cooled(await sign('known'))).resolves.toEqual({ userId: 'es-user', operator: false });
      expect(fetches).toBe(1);
      for (let i = 0; i < 5; i++) await expect(cooled(await sign(`made-up-${i}`))).rejects.toThrow(/invalid token/);
      expect(fetches).toBe(1); // within the cooldown: the kept set answers, no refetch
      const eager = createAuthenticator({ jwksUrl, jwksCooldownMs: 0 }, { keep: 0 });
      await eager(await sign('known'));
      const before = fetches;
      for (let i = 0; i < 3; i++) await expect(eager(await sign(`made-up-${i}`))).rejects.toThrow(/invalid token/);
      expect(fetches).toBe(before + 3); // no cooldown: every unknown kid refetches (what the cooldown prevents)
    } finally {
      server.close();
    }
  });

  it('answers 503, not 401, when the signing keys cannot be fetched', async () => {
    const authenticate = createAuthenticator({ jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json' });
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setSubject('a').setExpirationTime('5m').sign(privateKey);
    const { app: jwksApp } = startTestApi(h, { videos, authenticate });
    await expectProblem(await jwksApp.request('/v1/videos/abc', { headers: { Authorization: `Bearer ${token}` } }), 503);
  });

  it('accepts RS256 tokens from a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const authenticate = createAuthenticator({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });
      const token = await new SignJWT({ roles: ['operator'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setSubject('rsa-user')
        .setExpirationTime('5m')
        .sign(privateKey);
      await expect(authenticate(token)).resolves.toEqual({ userId: 'rsa-user', operator: true });
      // An HS256 token is not accepted when only a JWKS is configured.
      await expect(authenticate(await signDevToken(secret, 'x'))).rejects.toThrow(/not accepted/);
    } finally {
      server.close();
    }
  });
});

describe('POST /v1/videos', () => {
  it('registers an upload: 201, then 200 for the same owner, 409 for another', async () => {
    const videoId = uniqueId();
    const created = await register('alice', { videoId, fileName: 'holiday.mp4' });
    expect(created.status).toBe(201);
    expect(created.headers.get('Location')).toBe(`/v1/videos/${videoId}`);
    expect(await created.json()).toMatchObject({
      videoId,
      userId: 'alice',
      status: 'uploaded',
      progress: null,
      imagesUrl: null,
      error: null,
      completedAt: null,
    });
    const again = await register('alice', { videoId });
    expect(again.status).toBe(200);
    await expectProblem(await register('bob', { videoId }), 409);
  });

  it('generates an id when none is given', async () => {
    const res = await register('alice', {});
    expect(res.status).toBe(201);
    const body = (await res.json()) as { videoId: string };
    expect(body.videoId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a bad id', { videoId: 'has spaces' }, /videoId/],
    ['an over-long id', { videoId: 'x'.repeat(129) }, /videoId/],
    ['an unknown field', { videoId: 'ok', colour: 'red' }, /colour/],
    ['a wrong type', { fileName: 42 }, /fileName/],
  ])('answers 400 for %s, saying what is wrong', async (_name, body, pattern) => {
    const problem = await expectProblem(await register('alice', body), 400);
    expect(problem.detail).toMatch(pattern);
  });

  it('answers 415 for a body that is not sent as JSON', async () => {
    const res = await app.request('/v1/videos', { method: 'POST', headers: { Authorization: `Bearer ${tokens.alice}` } });
    await expectProblem(res, 415);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await call('/v1/videos', { method: 'POST', as: 'alice', body: '{not json' });
    await expectProblem(res, 400);
  });
});

describe('GET /v1/videos/:videoId', () => {
  it('reads an in-flight video from the workflow and a finished one from Postgres', async () => {
    const videoId = uniqueId();
    expect((await register('alice', { videoId })).status).toBe(201);
    await videos.sendEvent(ev.started(videoId));
    await videos.sendEvent(ev.progress(videoId, 42));

    const inFlight = await eventually(async () => {
      const res = await call(`/v1/videos/${videoId}`, { as: 'alice' });
      const body = (await res.json()) as { progress: number };
      return body.progress === 42 ? res : undefined;
    });
    expect(inFlight.status).toBe(200);
    expect(inFlight.headers.get('X-Status-Source')).toBe('workflow');

    await videos.sendEvent(ev.completed(videoId, 'https://cdn.example.com/x.zip'));
    const done = await eventually(async () => {
      const res = await call(`/v1/videos/${videoId}`, { as: 'alice' });
      return res.headers.get('X-Status-Source') === 'database' ? res : undefined;
    });
    expect(await done.json()).toMatchObject({ status: 'completed', progress: 100, imagesUrl: 'https://cdn.example.com/x.zip' });
  });

  it("answers 404 for another user's video exactly as for an unknown one; operators read all", async () => {
    const videoId = uniqueId();
    await register('alice', { videoId });
    const theirs = await expectProblem(await call(`/v1/videos/${videoId}`, { as: 'bob' }), 404);
    const unknownId = uniqueId();
    const unknown = await expectProblem(await call(`/v1/videos/${unknownId}`, { as: 'bob' }), 404);
    expect(theirs.detail?.replace(videoId, 'ID')).toBe(unknown.detail?.replace(unknownId, 'ID'));
    expect((await call(`/v1/videos/${videoId}`, { as: 'ops' })).status).toBe(200);
  });

  it('answers 400 for an invalid id', async () => {
    await expectProblem(await call(`/v1/videos/${encodeURIComponent('bad id!')}`, { as: 'alice' }), 400);
  });

  it('falls back to Postgres when Temporal does not answer', async () => {
    const videoId = uniqueId();
    const video = { ...newVideo(videoId, new Date().toISOString()), userId: 'alice', status: 'processing' as const, progress: 7, version: 2 };
    await saveVideo(h.orm.em.fork(), video, []);
    // A real client pointed at a port where no Temporal listens.
    const deadConnection = Connection.lazy({ address: '127.0.0.1:1' });
    const { app: deadApp } = startTestApi(h, {
      videos: createVideoGateway(new Client({ connection: deadConnection }), { taskQueue: 'unused' }),
      queryTimeoutMs: 300,
      readiness: { temporal: temporalCheck(deadConnection, 300) },
    });
    const res = await deadApp.request(`/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Status-Source')).toBe('database');
    expect(await res.json()).toMatchObject({ status: 'processing', progress: 7 });

    const unknown = await deadApp.request(`/v1/videos/${uniqueId()}`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
    await expectProblem(unknown, 503);
    expect(unknown.headers.get('Retry-After')).toBe('1');
    const ready = await deadApp.request('/readyz');
    const body = (await expectProblem(ready, 503)) as { detail?: string; checks?: Record<string, string> };
    expect(body.detail).toBe('not reachable: temporal');
    // Named, without the error's text: an unauthenticated probe shows no address or port.
    expect(['unreachable', 'timeout']).toContain(body.checks?.temporal);
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|:1\b|ECONNREFUSED|connect/i);
    await deadConnection.close();
  });
});

describe('when Postgres is down', () => {
  it('still answers an in-flight video from the workflow, and 503 when nothing can answer', async () => {
    const videoId = uniqueId();
    await register('alice', { videoId });
    const deadOrm = await connectDatabase('postgres://postgres@127.0.0.1:1/vidproc');
    try {
      const { app: noDb } = startTestApi(h, { videos, orm: deadOrm, readiness: { postgres: postgresCheck(deadOrm) } });
      const headers = { Authorization: `Bearer ${tokens.alice}` };
      const live = await noDb.request(`/v1/videos/${videoId}`, { headers });
      expect(live.status).toBe(200);
      expect(live.headers.get('X-Status-Source')).toBe('workflow');
      const nothing = await noDb.request(`/v1/videos/${uniqueId()}`, { headers });
      expect(await expectProblem(nothing, 503)).toMatchObject({ detail: 'Postgres is not answering; try again shortly' });
      expect(nothing.headers.get('Retry-After')).toBe('1');
      const notReady = (await expectProblem(await noDb.request('/readyz'), 503)) as { detail?: string; checks?: Record<string, string> };
      expect(notReady).toMatchObject({ detail: 'not reachable: postgres', checks: { postgres: 'unreachable' } });
      expect(JSON.stringify(notReady)).not.toMatch(/127\.0\.0\.1|5432|ECONNREFUSED/);
    } finally {
      await deadOrm.close(true);
    }
  });
});

describe('GET /v1/videos/:videoId/events', () => {
  it("lists the video's history with what was applied and what was ignored", async () => {
    const videoId = uniqueId();
    await register('alice', { videoId });
    await videos.sendEvent(ev.completed(videoId));
    await videos.sendEvent(ev.started(videoId));
    const body = await eventually(async () => {
      const res = await call(`/v1/videos/${videoId}/events`, { as: 'alice' });
      const json = (await res.json()) as { events: Array<{ applied: boolean; reason: string }> };
      return json.events.length === 3 ? json : undefined;
    });
    expect(body.events.map((e) => [e.applied, e.reason])).toEqual([
      [true, 'owner set'],
      [true, 'processing completed'],
      [false, 'video is already completed'],
    ]);
    await expectProblem(await call(`/v1/videos/${videoId}/events`, { as: 'bob' }), 404);
  });
});

describe('health and documents', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await call('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await eventually(async () => {
      const res = await call('/readyz');
      return res.status === 200 ? res : undefined;
    });
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', rabbitmq: 'ok', temporal: 'ok' } });
  });

  it('checks Postgres with a real round trip, even before the first query', async () => {
    const fresh = await connectDatabase(h.config.DATABASE_URL);
    try {
      await expect(postgresCheck(fresh)()).resolves.toBeUndefined();
    } finally {
      await fresh.close(true);
    }
    const nowhere = await connectDatabase('postgres://postgres@127.0.0.1:1/vidproc');
    try {
      await expect(postgresCheck(nowhere)()).rejects.toThrow();
    } finally {
      await nowhere.close(true);
    }
  });

  it('serves its OpenAPI document and answers unknown routes with a problem', async () => {
    const doc = (await (await call('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/videos', '/v1/videos/{videoId}', '/v1/videos/{videoId}/events', '/healthz', '/readyz']),
    );
    await expectProblem(await call('/nope'), 404);
  });
});

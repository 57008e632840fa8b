/**
 * The API's HTTP edge, on the real stack: 405 + Allow, the body limit (413), security headers,
 * CORS by configuration, video ids every route can serve (and stored ones that cannot still
 * listed), and the real `vidproc api` process closing a request that stops sending its headers.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import { saveVideo } from '../../src/db/video-store.js';
import { newVideo } from '../../src/domain/video.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { uniqueId } from '../support/events.js';
import { startHarness, type TemporalHarness } from '../support/env.js';
import { READY, startVidproc } from '../support/vidproc-process.js';

let h: TemporalHarness;
let app: Api;
let token: string;

beforeAll(async () => {
  h = await startHarness();
  ({ app } = startTestApi(h, { http: { bodyLimitBytes: 1024 } }));
  token = await signDevToken(h.config.AUTH_JWT_SECRET!, 'edge-user');
});
afterAll(async () => {
  await closeTestApis();
  await h?.stop();
});

const auth = () => ({ Authorization: `Bearer ${token}` });
const problemOf = async (res: Response, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toContain('application/problem+json');
  return (await res.json()) as { status: number; detail?: string };
};

describe('methods', () => {
  it('answers 405 with Allow for a method a known path does not answer, before authentication', async () => {
    const cases: Array<[string, string, string]> = [
      ['PUT', '/v1/videos', 'GET, HEAD, POST, OPTIONS'],
      ['DELETE', '/v1/videos/some-video', 'GET, HEAD, OPTIONS'],
      ['POST', '/v1/videos/some-video', 'GET, HEAD, OPTIONS'],
      ['POST', '/v1/videos/some-video/events', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/v1/webhooks/0b7a4c1e-0000-4000-8000-000000000000', 'GET, HEAD, DELETE, OPTIONS'],
      ['PUT', '/healthz', 'GET, HEAD, OPTIONS'],
      ['POST', '/readyz', 'GET, HEAD, OPTIONS'],
      ['GET', '/v1/videos/some-video/retry', 'POST, OPTIONS'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await app.request(path, { method });
      expect(`${method} ${path}: ${res.status}`).toBe(`${method} ${path}: 405`);
      expect(res.headers.get('Allow')).toBe(allow);
      expect((await problemOf(res, 405)).detail).toMatch(/is not allowed/);
    }
  });

  it('answers OPTIONS on a known path with 204 and Allow; an unknown path stays 404', async () => {
    const res = await app.request('/v1/videos', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST, OPTIONS');
    await problemOf(await app.request('/nothing-here', { method: 'PUT' }), 404);
    // A known method still reaches its route (and its authentication).
    await problemOf(await app.request('/v1/videos', { method: 'GET' }), 401);
  });
});

describe('request bodies', () => {
  it('refuses a body over the limit with 413, whether its length is declared or it comes in chunks', async () => {
    const big = JSON.stringify({ fileName: 'x'.repeat(2_000) });
    const declared = await app.request('/v1/videos', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: big });
    expect((await problemOf(declared, 413)).detail).toMatch(/larger than 1024 bytes/);
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode(big.slice(i * 500, (i + 1) * 500)));
        controller.enqueue(new TextEncoder().encode(big.slice(2_000)));
        controller.close();
      },
    });
    const chunked = await app.request('/v1/videos', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: chunks,
      duplex: 'half',
    });
    await problemOf(chunked, 413);
    // Under the limit it is read as usual; without a token nothing is read at all (401 first).
    const small = await app.request('/v1/videos', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ videoId: uniqueId('edge') }) });
    expect(small.status).toBe(201);
    await problemOf(await app.request('/v1/videos', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: big }), 401);
  });

  it('answers 415 for a non-JSON type, and lets a POST that takes no body come without one', async () => {
    await problemOf(await app.request('/v1/videos', { method: 'POST', headers: { ...auth(), 'Content-Type': 'text/plain' }, body: '{}' }), 415);
    await problemOf(await app.request('/v1/videos', { method: 'POST', headers: auth() }), 415);
    // rotate-secret takes no body: without one it reaches the route (404: no such endpoint), not a 415.
    const rotate = await app.request('/v1/webhooks/0b7a4c1e-0000-4000-8000-000000000000/rotate-secret', { method: 'POST', headers: auth() });
    await problemOf(rotate, 404);
  });
});

describe('security headers', () => {
  it('sends a JSON API its headers (no content may run or be framed), and /docs all but that content policy', async () => {
    for (const res of [await app.request('/healthz'), await app.request('/v1/videos', { headers: auth() }), await app.request('/nope')]) {
      expect(res.headers.get('Content-Security-Policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(res.headers.get('X-Frame-Options')).toBe('DENY');
      expect(res.headers.get('Referrer-Policy')).toBe('no-referrer');
      expect(res.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull(); // CORS off by default
    }
    const docs = await app.request('/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('Content-Security-Policy')).toBeNull();
    expect(docs.headers.get('X-Frame-Options')).toBe('DENY');
  });
});

describe('CORS', () => {
  it('is off unless origins are configured; then answers preflights and reads for those origins only', async () => {
    const preflight = (a: Api, origin: string) =>
      a.request('/v1/videos', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    const off = await preflight(app, 'https://app.example.com');
    expect(off.headers.get('Access-Control-Allow-Origin')).toBeNull();

    const { app: withCors } = startTestApi(h, { http: { corsOrigins: ['https://app.example.com'] } });
    const allowed = await preflight(withCors, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('authorization');
    const read = await withCors.request('/v1/videos', { headers: { ...auth(), Origin: 'https://app.example.com' } });
    expect(read.status).toBe(200);
    expect(read.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example.com');
    expect(read.headers.get('Access-Control-Expose-Headers')).toContain('X-Status-Source');
    const other = await preflight(withCors, 'https://evil.example.net');
    expect(other.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});

describe('video ids', () => {
  it('refuses ids no route could serve: ".", ".." and "stream"', async () => {
    for (const videoId of ['.', '..', 'stream']) {
      const res = await app.request('/v1/videos', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ videoId }) });
      expect((await problemOf(res, 400)).detail).toMatch(/not "\." or "\.\." or "stream"/);
    }
    // Dots elsewhere are fine, and so is an id that only starts with "stream".
    for (const videoId of [`...${uniqueId()}`, `a.b-${uniqueId()}`, `streams-${uniqueId()}`]) {
      const res = await app.request('/v1/videos', { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ videoId }) });
      expect(res.status).toBe(201);
      expect((await app.request(`/v1/videos/${videoId}`, { headers: auth() })).status).toBe(200);
    }
  });

  it('still lists a video stored before the rule under such an id, without an error', async () => {
    const owner = uniqueId('legacy');
    const legacyToken = await signDevToken(h.config.AUTH_JWT_SECRET!, owner);
    for (const videoId of ['..', 'stream']) await saveVideo(h.orm.em.fork(), { ...newVideo(videoId, '2026-01-01T00:00:00.000Z'), userId: owner, version: 1 }, []);
    const res = await app.request(`/v1/videos?userId=${owner}`, { headers: { Authorization: `Bearer ${legacyToken}` } });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { items: Array<{ videoId: string }> }).items.map((v) => v.videoId);
    expect(ids.sort()).toEqual(['..', 'stream']);
  });
});

describe('vidproc api (the process): slow clients', () => {
  it('closes a request whose headers do not arrive in time (slowloris), with 408', async () => {
    const api = startVidproc('api', {
      TEMPORAL_TASK_QUEUE: h.config.temporal.taskQueue,
      AUTH_JWT_SECRET: h.config.AUTH_JWT_SECRET!,
      PORT: '0',
      HOST: '127.0.0.1',
      API_HEADERS_TIMEOUT: '1s',
      API_REQUEST_TIMEOUT: '2s',
      LOG_LEVEL: 'info',
    });
    try {
      const url = new URL((await api.waitFor(READY.api, 30_000))[1]!);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '));
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      // A whole request on a new connection is answered as usual.
      expect((await fetch(`${url.origin}/healthz`)).status).toBe(200);
    } finally {
      await api.stop();
    }
  });
});

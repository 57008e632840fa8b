/**
 * Live updates (SSE) end to end: events signalled to the real workflow, projected to Postgres,
 * announced through LISTEN/NOTIFY, streamed over real HTTP to a real SSE client.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signDevToken } from '../../src/api/lib/auth.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { eventually, startHarness, type TemporalHarness } from '../support/env.js';
import { ev, uniqueId } from '../support/events.js';
import { follow, serveApi, type Served, type StreamClient } from '../support/sse.js';

let h: TemporalHarness;
let videos: VideoGateway;
/** Two API instances, as behind a load balancer: each with its own change feed. */
let apis: Served[];
const tokens: Record<string, string> = {};
const clients: StreamClient[] = [];

beforeAll(async () => {
  h = await startHarness();
  videos = createVideoGateway(h.client, { taskQueue: h.config.temporal.taskQueue, workflowDefaults: { lingerMs: 60_000 } });
  apis = await Promise.all([serveApi(startTestApi(h, { videos, heartbeatMs: 300 }).app), serveApi(startTestApi(h, { videos }).app)]);
  for (const user of ['alice', 'bob']) tokens[user] = await signDevToken(h.config.AUTH_JWT_SECRET!, user);
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(apis.map((api) => api.close()));
  await closeTestApis();
  await h?.stop();
});

const open = (api: Served, videoId: string, as: string, lastEventId?: string) => {
  const client = follow(`${api.url}/v1/videos/${videoId}/stream`, tokens[as]!, lastEventId);
  clients.push(client);
  return client;
};
const eventsUntil = (client: StreamClient, done: (data: Record<string, unknown>) => boolean) =>
  eventually(() => (client.events.some((e) => done(e.data)) ? client.events : undefined), { timeoutMs: 20_000, everyMs: 20 });

describe('GET /v1/videos/{id}/stream', () => {
  it('sends the video now, then every change in version order, on every API instance; ends after the final event', async () => {
    const id = uniqueId('live');
    await videos.register(id, 'alice', 'live.mp4');
    const [a, b] = [open(apis[0]!, id, 'alice'), open(apis[1]!, id, 'alice')];
    await eventsUntil(a, (v) => v.status === 'uploaded');
    await eventsUntil(b, (v) => v.status === 'uploaded');

    await videos.sendEvent(ev.started(id));
    await videos.sendEvent(ev.progress(id, 40));
    await eventsUntil(a, (v) => v.progress === 40);
    await videos.sendEvent(ev.completed(id, 'https://cdn.example.com/live.zip'));
    for (const client of [a, b]) {
      const events = await eventsUntil(client, (v) => v.status === 'completed');
      const versions = events.map((e) => Number(e.id));
      expect(versions).toEqual([...versions].sort((x, y) => x - y));
      expect(new Set(versions).size).toBe(versions.length);
      expect(events.map((e) => e.data.version)).toEqual(versions);
      expect(events.at(-1)!.data).toMatchObject({ videoId: id, status: 'completed', imagesUrl: 'https://cdn.example.com/live.zip', imagesUrlExpiresAt: null });
      expect(events.some((e) => e.data.status === 'processing')).toBe(true);
    }
    // Told not to come back: the reconnect with the final event's id gets a 204 and the client stops.
    await eventually(() => (a.errors.some((e) => e.code === 204) ? true : undefined), { timeoutMs: 10_000 });
  });

  it('a client that reconnects with Last-Event-ID gets what it missed, and nothing it had', async () => {
    const id = uniqueId('live');
    await videos.register(id, 'alice');
    const first = open(apis[0]!, id, 'alice');
    const [seen] = await eventsUntil(first, (v) => v.status === 'uploaded');
    first.close();

    await videos.sendEvent(ev.started(id)); // while disconnected
    await eventually(async () => ((await videos.liveStatus(id, 2_000)).kind === 'live' ? true : undefined));
    const resumed = open(apis[1]!, id, 'alice', seen!.id);
    const events = await eventsUntil(resumed, (v) => v.status === 'processing');
    expect(events.every((e) => Number(e.id) > Number(seen!.id))).toBe(true);
  });

  it('keeps an idle stream open with heartbeats', async () => {
    const id = uniqueId('live');
    await videos.register(id, 'alice');
    const res = await fetch(`${apis[0]!.url}/v1/videos/${id}/stream`, { headers: { Authorization: `Bearer ${tokens.alice}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value as Uint8Array);
    await reader.cancel();
    expect(text).toMatch(/^event: video\ndata: \{.*\}\nid: \d+\n\n: keep-alive\n\n/);
  });

  it('is 404 for a video that is not yours (or unknown), 401 without a token', async () => {
    const id = uniqueId('live');
    await videos.register(id, 'alice');
    const as = (token?: string) =>
      fetch(`${apis[0]!.url}/v1/videos/${id}/stream`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    expect((await as(tokens.bob)).status).toBe(404);
    expect((await fetch(`${apis[0]!.url}/v1/videos/${uniqueId()}/stream`, { headers: { Authorization: `Bearer ${tokens.alice}` } })).status).toBe(404);
    expect((await as()).status).toBe(401);
    expect((await fetch(`${apis[0]!.url}/v1/videos/${id}/stream`, { headers: { Authorization: `Bearer ${tokens.alice}`, 'Last-Event-ID': 'x' } })).status).toBe(400);
  });
});

describe('GET /v1/videos/stream', () => {
  const openMany = (api: Served, query: string, as: string, lastEventId?: string) => {
    const client = follow(`${api.url}/v1/videos/stream${query}`, tokens[as]!, lastEventId);
    clients.push(client);
    return client;
  };
  const forVideo = (client: StreamClient, id: string) => client.events.filter((e) => e.data.videoId === id);

  it("sends every change of the caller's videos in the filter, including one leaving it, and nothing of anyone else's", async () => {
    const [mine, quiet, theirs] = [uniqueId('many'), uniqueId('many'), uniqueId('many')];
    const stream = openMany(apis[1]!, '?status=processing', 'alice');
    await eventually(() => (stream.opened() ? true : undefined));
    await videos.register(mine, 'alice');
    await videos.register(quiet, 'alice'); // stays uploaded: never in the filter
    await videos.register(theirs, 'bob');
    await videos.sendEvent(ev.started(theirs));
    await videos.sendEvent(ev.started(mine));
    await videos.sendEvent(ev.progress(mine, 30));
    await eventually(() => (forVideo(stream, mine).some((e) => e.data.progress === 30) ? true : undefined), { timeoutMs: 20_000 });
    await videos.sendEvent(ev.completed(mine)); // leaves the filter: its leaving event still comes
    await eventually(() => (forVideo(stream, mine).some((e) => e.data.status === 'completed') ? true : undefined), { timeoutMs: 20_000 });

    expect(forVideo(stream, theirs)).toEqual([]);
    expect(forVideo(stream, quiet)).toEqual([]);
    const ids = stream.events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const versions = forVideo(stream, mine).map((e) => e.data.version as number);
    expect(new Set(versions).size).toBe(versions.length);
    expect(forVideo(stream, mine).every((e) => e.data.userId === 'alice')).toBe(true);
  });

  it('resumes after Last-Event-ID with what changed meanwhile', async () => {
    const id = uniqueId('many');
    const first = openMany(apis[0]!, '', 'alice');
    await eventually(() => (first.opened() ? true : undefined));
    await videos.register(id, 'alice');
    const [seen] = await eventually(() => (forVideo(first, id).length > 0 ? forVideo(first, id) : undefined), { timeoutMs: 20_000 });
    first.close();
    await videos.sendEvent(ev.started(id)); // while away
    await eventually(async () => ((await videos.liveStatus(id, 2_000)).kind === 'live' ? true : undefined));
    const resumed = openMany(apis[1]!, '', 'alice', seen!.id);
    await eventually(() => (forVideo(resumed, id).some((e) => e.data.status === 'processing') ? true : undefined), { timeoutMs: 20_000 });
  });

  it("lets an operator follow one user's videos, and refuses userId from anyone else", async () => {
    tokens.ops = await signDevToken(h.config.AUTH_JWT_SECRET!, 'ops', ['operator']);
    const id = uniqueId('many');
    const ops = openMany(apis[0]!, '?userId=alice', 'ops');
    await eventually(() => (ops.opened() ? true : undefined));
    await videos.register(id, 'alice');
    await eventually(() => (forVideo(ops, id).length > 0 ? true : undefined), { timeoutMs: 20_000 });
    const refused = await fetch(`${apis[0]!.url}/v1/videos/stream?userId=alice`, { headers: { Authorization: `Bearer ${tokens.bob}` } });
    expect(refused.status).toBe(400);
  });
});

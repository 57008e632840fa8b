/**
 * End to end, every part real: events published to RabbitMQ, through the bridge and the video
 * workflow (dev server + worker) into Postgres, and the status read over HTTP from the API.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signDevToken } from '../../src/api/lib/auth.js';
import { startApi } from '../../src/processes/api.js';
import { startBridge } from '../../src/processes/bridge.js';
import type { Running } from '../../src/processes/running.js';
import { createEventPublisher, type EventPublisher } from '../support/event-publisher.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, testLogger, type TemporalHarness } from '../support/env.js';

let h: TemporalHarness;
let api: Running & { url: string };
let bridge: Running;
let publisher: EventPublisher;
let token: string;

beforeAll(async () => {
  h = await startHarness(testConfig({ PORT: '0', HOST: '127.0.0.1' }));
  bridge = await startBridge(h.config, testLogger);
  api = await startApi(h.config, testLogger);
  publisher = await createEventPublisher(h.config.AMQP_URL, h.config);
  token = await signDevToken(h.config.AUTH_JWT_SECRET!, 'uploader-1');
});
afterAll(async () => {
  await api?.stop();
  await bridge?.stop();
  await publisher?.deleteTopology();
  await publisher?.close();
  await h?.stop();
});

const get = async (videoId: string) => {
  const res = await fetch(`${api.url}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, source: res.headers.get('X-Status-Source'), body: (await res.json()) as Record<string, unknown> };
};

describe('end to end', () => {
  it('follows a video from the events on RabbitMQ to its status over HTTP', async () => {
    const videoId = uniqueId('e2e');
    publisher.publish(ev.uploaded(videoId, 'uploader-1', 'trip.mov'));
    publisher.publish(ev.started(videoId));
    publisher.publish(ev.progress(videoId, 55));
    await publisher.confirm();

    const inFlight = await eventually(async () => {
      const r = await get(videoId);
      return r.status === 200 && r.body.progress === 55 ? r : undefined;
    });
    expect(inFlight).toMatchObject({ source: 'workflow', body: { status: 'processing', userId: 'uploader-1' } });

    publisher.publish(ev.completed(videoId, 's3://frames/trip.zip', 900));
    publisher.publish(ev.started(videoId)); // late: changes nothing
    await publisher.confirm();

    const done = await eventually(async () => {
      const r = await get(videoId);
      return r.source === 'database' ? r : undefined;
    });
    expect(done.body).toMatchObject({ videoId, status: 'completed', progress: 100, imagesUrl: 's3://frames/trip.zip', error: null });
    expect(typeof done.body.completedAt).toBe('string');

    const other = await signDevToken(h.config.AUTH_JWT_SECRET!, 'someone-else');
    const res = await fetch(`${api.url}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${other}` } });
    expect(res.status).toBe(404);
  });

  it('reports ready when Postgres, RabbitMQ and Temporal answer', async () => {
    const body = await eventually(async () => {
      const res = await fetch(`${api.url}/readyz`);
      return res.status === 200 ? res.json() : undefined;
    });
    expect(body).toEqual({ status: 'ok', checks: { postgres: 'ok', rabbitmq: 'ok', temporal: 'ok' } });
  });
});

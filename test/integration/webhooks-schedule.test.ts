/**
 * Users' webhooks over days, in seconds: Temporal's time-skipping test server runs the real
 * workflow bundle (video and delivery workflows) on a real worker with production's webhook
 * policy (retries from 30s doubling to 4h for 24 hours, an endpoint disabled after failing for
 * 3 days) and production's stuck-video deadlines; deliveries go to a real HTTP receiver that
 * verifies every signature. Times in Postgres are server times, so they show the hours skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { VideoView } from '../../src/domain/video.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { deliveryWorkflowIdFor, workflowIdFor } from '../../src/workflows/definitions.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, startHarness, testConfig, type TemporalHarness } from '../support/env.js';
import { startTimeSkippingServer } from '../support/time-skipping.js';
import { startWebhooksApi, type Endpoint, type WebhooksApi } from '../support/webhooks-api.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let h: TemporalHarness;
let videos: VideoGateway;
let api: WebhooksApi;

beforeAll(async () => {
  env = await startTimeSkippingServer();
  h = await startHarness(
    testConfig({ WEBHOOK_ALLOW_PRIVATE: 'true', STUCK_UPLOADED_AFTER: '15m', STUCK_PROCESSING_AFTER: '30m', MAX_REPROCESS: '0' }),
    { address: env.address, client: env.client, connection: env.connection },
  );
  videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  api = await startWebhooksApi(h, videos, ['tina', 'ursula']);
});
afterAll(async () => {
  await api?.close();
  await h?.stop();
  await env?.teardown();
});

const deliveries = async (as: string, endpointId: string) => (await api.deliveriesOf(as, endpointId)).items;
const endpointOf = (as: string, id: string) => api.endpointOf(as, id);
const subscribe: WebhooksApi['subscribe'] = (as, events) => api.subscribe(as, events);
const redeliver = (as: string, endpointId: string, deliveryId: string) => api.post(`/v1/webhooks/${endpointId}/deliveries/${deliveryId}/redeliver`, as);
/** Waits for a workflow to close: time skips through its timers. */
/** A workflow's result, once it exists: a delivery's row is recorded just before its workflow is started. */
const finished = async (workflowId: string): Promise<unknown> => {
  const handle = env.client.workflow.getHandle(workflowId);
  await eventually(() => handle.describe().then(() => true));
  return handle.result();
};
const at = (iso: string | null) => Date.parse(iso ?? 'missing');

describe('failure notices on production deadlines', () => {
  it('a video that times out (TIMED_OUT) is a video.failed webhook with the code and message, after its video.stalled', async () => {
    const { receiver } = await subscribe('tina', ['video.stalled', 'video.failed']);
    const id = uniqueId('timeout');
    await videos.sendEvent(ev.uploaded(id, api.user('tina')));
    const final = (await finished(workflowIdFor(id))) as VideoView;
    expect(final).toMatchObject({ status: 'failed', error: { code: 'TIMED_OUT' } });

    const got = await eventually(() => {
      const mine = receiver.unique().filter((r) => r.body.data.videoId === id);
      return mine.length === 2 ? mine : undefined;
    });
    expect(receiver.rejected).toEqual([]);
    const [stalled, failed] = [...got].sort((a, b) => a.body.data.version - b.body.data.version);
    expect(stalled!.body).toMatchObject({ type: 'video.stalled', data: { status: 'uploaded', stalled: true } });
    expect(failed!.body).toMatchObject({
      type: 'video.failed',
      data: { status: 'failed', stalled: false, error: { code: 'TIMED_OUT', message: 'no processing to start for 15m (uploaded); reprocessing is off' } },
    });
    // The body's timestamp is when it happened (server time: 30 minutes after the stall's 15).
    expect(at(failed!.body.timestamp) - at(stalled!.body.timestamp)).toBeGreaterThanOrEqual(15 * 60_000);
  });
});

describe('retries over a day, then the endpoint disabled after failing for days', () => {
  it('retries for 24 hours with backoff, fails the delivery, and disables the endpoint once it failed for 3 days; its owner sees why and can enable it again', async () => {
    const { endpoint, receiver } = await subscribe('ursula', ['video.completed']);
    receiver.failWith(500);
    const first = uniqueId('retried');
    await videos.sendEvent(ev.uploaded(first, api.user('ursula')));
    await videos.sendEvent(ev.completed(first));
    const [delivery] = await eventually(async () => {
      const items = await deliveries('ursula', endpoint.id);
      return items.length === 1 ? items : undefined;
    });
    expect(await finished(deliveryWorkflowIdFor(delivery!.id))).toBe('failed');

    const [failed] = await deliveries('ursula', endpoint.id);
    expect(failed).toMatchObject({ id: delivery!.id, status: 'failed', lastStatusCode: 500, nextAttemptAt: null, deliveredAt: null });
    expect(failed!.lastError).toBe('answered 500: receiver is failing on purpose');
    // 30s, 1m, 2m ... capped at 4h: the last attempt a day after the first.
    expect(failed!.attempts).toBeGreaterThanOrEqual(12);
    expect(failed!.attempts).toBeLessThanOrEqual(18);
    expect(at(failed!.lastAttemptAt) - at(failed!.createdAt)).toBeGreaterThanOrEqual(DAY);
    expect(at(failed!.lastAttemptAt) - at(failed!.createdAt)).toBeLessThan(DAY + HOUR);
    const failing = await endpointOf('ursula', endpoint.id);
    expect(failing).toMatchObject({ disabled: false, lastSuccessAt: null });
    expect(at(failing.failingSince)).toBeLessThanOrEqual(at(failed!.createdAt) + 60_000);

    // Two days later, still failing: the next delivery's first attempt is past 3 days of failure.
    await env.sleep(2 * DAY + HOUR);
    const second = uniqueId('disabling');
    await videos.sendEvent(ev.uploaded(second, api.user('ursula')));
    await videos.sendEvent(ev.completed(second));
    const secondDelivery = await eventually(async () => (await deliveries('ursula', endpoint.id)).find((d) => d.videoId === second));
    expect(await finished(deliveryWorkflowIdFor(secondDelivery.id))).toBe('failed');
    const disabled = await endpointOf('ursula', endpoint.id);
    expect(disabled).toMatchObject({ disabled: true, failingSince: failing.failingSince });
    expect(disabled.disabledReason).toBe(
      `every delivery failed for more than 3d (since ${failing.failingSince}); last error: answered 500: receiver is failing on purpose`,
    );
    expect(at(disabled.disabledAt) - at(failing.failingSince)).toBeGreaterThan(3 * DAY);
    expect((await deliveries('ursula', endpoint.id)).find((d) => d.id === secondDelivery.id)).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null });

    // Disabled: new events make no deliveries, and a redelivery is refused until it is enabled.
    const third = uniqueId('while-disabled');
    await videos.sendEvent(ev.uploaded(third, api.user('ursula')));
    await videos.sendEvent(ev.completed(third));
    expect(await finished(workflowIdFor(third))).toMatchObject({ status: 'completed' });
    expect((await deliveries('ursula', endpoint.id)).some((d) => d.videoId === third)).toBe(false);
    expect((await redeliver('ursula', endpoint.id, secondDelivery.id)).status).toBe(409);

    receiver.failWith(null);
    const enabling = await api.post(`/v1/webhooks/${endpoint.id}/enable`, 'ursula');
    expect(enabling.status).toBe(200);
    const enabled = (await enabling.json()) as Endpoint;
    expect(enabled).toMatchObject({ disabled: false, disabledReason: null, failingSince: null });
    expect((await redeliver('ursula', endpoint.id, secondDelivery.id)).status).toBe(202);
    expect(await finished(deliveryWorkflowIdFor(secondDelivery.id))).toBe('delivered');
    expect(receiver.unique().map((r) => [r.id, r.body.data.videoId])).toEqual([[secondDelivery.id, second]]);
    expect(receiver.rejected).toEqual([]);
    expect(await endpointOf('ursula', endpoint.id)).toMatchObject({ disabled: false, failingSince: null, lastSuccessAt: expect.any(String) });
  });
});

describe('redelivery while a delivery waits for its next attempt', () => {
  it('starts a new attempt sequence at once (the waiting workflow is signalled), with the same webhook-id', async () => {
    const { endpoint, receiver } = await subscribe('tina', ['video.completed']);
    receiver.failWith(503);
    const id = uniqueId('waiting');
    await videos.sendEvent(ev.uploaded(id, api.user('tina')));
    await videos.sendEvent(ev.completed(id));
    // One failed attempt; the next is due in about 30 s of server time, which stands still here.
    const waiting = await eventually(async () => (await deliveries('tina', endpoint.id)).find((d) => d.videoId === id && d.attempts === 1));
    expect(waiting).toMatchObject({ status: 'pending', lastStatusCode: 503 });
    expect(at(waiting.nextAttemptAt) - at(waiting.lastAttemptAt)).toBeGreaterThanOrEqual(24_000);

    receiver.failWith(null);
    expect((await redeliver('tina', endpoint.id, waiting.id)).status).toBe(202);
    const delivered = await eventually(async () => (await deliveries('tina', endpoint.id)).find((d) => d.id === waiting.id && d.status === 'delivered'));
    expect(delivered).toMatchObject({ attempts: 2, lastStatusCode: 204, nextAttemptAt: null });
    expect(at(delivered.lastAttemptAt)).toBeLessThan(at(waiting.nextAttemptAt));
    expect(receiver.unique().map((r) => r.id)).toEqual([waiting.id]);
    expect(await finished(deliveryWorkflowIdFor(waiting.id))).toBe('delivered');
  });
});

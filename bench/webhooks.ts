/**
 * Users' webhooks under the bench: an endpoint for video.completed whose receiver (verifying every
 * signature with the Standard Webhooks library) is down while BENCH_WEBHOOK_VIDEOS videos
 * complete, then back: every delivery arrives, once per webhook-id after deduplication; then the
 * same number with the receiver up: the publish-to-webhook lag. Deliveries are counted per webhook-id.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { signDevToken } from '../src/api/lib/auth.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';
import { startSignedWebhookReceiver } from '../test/support/webhook-receiver.js';
import { config, int, onStop, percentile, run, until } from './stack.js';

const WEBHOOK_VIDEOS = int('BENCH_WEBHOOK_VIDEOS', 100);
const WEBHOOK_DOWN_S = int('BENCH_WEBHOOK_DOWN_S', 10);
/**
 * With the receiver up, videos at this fraction of the burst throughput: each costs a delivery
 * workflow besides its own, so well below what the pipeline takes, and the lag is latency, not a backlog.
 */
const WEBHOOK_UP_FRACTION = 0.25;
const DELIVERED_TIMEOUT_MS = 10 * 60_000;

interface Publisher {
  publish(event: VideoEventInput): void;
  confirm(): Promise<void>;
}

export async function benchWebhooks(
  apiUrl: string,
  publisher: Publisher,
  event: (videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>) => VideoEventInput,
  throughput: number,
): Promise<string[][]> {
  const intervalMs = Math.round(1000 / Math.max(1, throughput * WEBHOOK_UP_FRACTION));
  const user = 'bench-hooks';
  const publishVideo = (id: string) => {
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: user }));
    publisher.publish(event(id, EVENT_TYPES.completed, { imagesUrl: `s3://bench/${id}.zip` }));
  };
  const headers = { Authorization: `Bearer ${await signDevToken(config.AUTH_JWT_SECRET!, user)}`, 'Content-Type': 'application/json' };
  const receiver = await startSignedWebhookReceiver();
  onStop(() => receiver.close());
  const res = await fetch(`${apiUrl}/v1/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, events: ['video.completed'] }) });
  if (res.status !== 201) throw new Error(`webhook endpoint not registered: ${res.status} ${await res.text()}`);
  receiver.secrets.push(((await res.json()) as { secret: string }).secret);
  const completedOf = (ids: Set<string>) => receiver.unique().filter((r) => ids.has(r.body.data.videoId));
  const receivedAt = new Map<string, number>();
  const watch = setInterval(() => {
    for (const r of receiver.received) if (!receivedAt.has(r.body.data.videoId)) receivedAt.set(r.body.data.videoId, performance.now());
  }, 5);
  onStop(() => Promise.resolve(clearInterval(watch)));

  await receiver.stop();
  const downIds = new Set(Array.from({ length: WEBHOOK_VIDEOS }, (_, i) => `bench-${run}-hook-down-${i}`));
  for (const id of downIds) publishVideo(id);
  await publisher.confirm();
  await sleep(WEBHOOK_DOWN_S * 1000);
  const backAt = performance.now();
  await receiver.start();
  await until('every webhook delivered', () => Promise.resolve(completedOf(downIds).length === downIds.size), DELIVERED_TIMEOUT_MS);
  const drainedS = (performance.now() - backAt) / 1000;
  const duplicates = receiver.received.filter((r) => downIds.has(r.body.data.videoId)).length - downIds.size;

  const upIds = Array.from({ length: WEBHOOK_VIDEOS }, (_, i) => `bench-${run}-hook-up-${i}`);
  const publishedAt = new Map<string, number>();
  for (const id of upIds) {
    publishVideo(id);
    publishedAt.set(id, performance.now());
    await sleep(intervalMs);
  }
  await publisher.confirm();
  await until('every webhook received', () => Promise.resolve(completedOf(new Set(upIds)).length === upIds.length), DELIVERED_TIMEOUT_MS);
  const lags = upIds.map((id) => receivedAt.get(id)! - publishedAt.get(id)!).sort((a, b) => a - b);
  if (receiver.rejected.length > 0) throw new Error(`${receiver.rejected.length} webhooks did not verify`);
  return [
    [
      `webhooks: receiver down ${WEBHOOK_DOWN_S} s, ${WEBHOOK_VIDEOS} videos`,
      `${completedOf(downIds).length} unique webhook-ids received of ${downIds.size} (${duplicates} duplicates dropped by webhook-id), 0 unverified`,
    ],
    ['webhooks: receiver back: all delivered after', `${drainedS.toFixed(1)} s`],
    [
      `webhooks: receiver up, ${WEBHOOK_VIDEOS} videos: publish-to-webhook p50 / p99`,
      `${percentile(lags, 50).toFixed(0)} ms / ${percentile(lags, 99).toFixed(0)} ms (one video every ${intervalMs} ms)`,
    ],
  ];
}

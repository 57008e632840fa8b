/**
 * Metrics, end to end (issue 11): `vidproc worker`, `vidproc bridge` and `vidproc api`, each an OS
 * process as in production, each serving /metrics on a port of its own, scraped every 2 seconds by a
 * real Prometheus. Events are published in two waves; after each, Prometheus's query API must show
 * the series at exactly what was published: messages consumed and acked, dead letters, the
 * videos' status transitions, the API's requests by route template; and the Temporal SDK's own
 * metrics, the queue gauges and the process metrics from every process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'amqplib';
import { signDevToken } from '../../src/api/lib/auth.js';
import { EVENT_TYPES } from '../../src/domain/events.js';
import { createEventPublisher, type EventPublisher } from '../support/event-publisher.js';
import { ev, uniqueId } from '../support/events.js';
import { eventually, testConfig } from '../support/env.js';
import { startPrometheus, type Prometheus } from '../support/prometheus.js';
import { READY, startVidproc, stopVidprocs, vidprocEnv } from '../support/vidproc-process.js';

const config = testConfig();
const env = { ...vidprocEnv(config), METRICS_HOST: '127.0.0.1', METRICS_PORT: '0', LOG_LEVEL: 'info' };

const METRICS_AT = /"url":"http:\/\/(127\.0\.0\.1:\d+)\/metrics"[^\n]*"msg":"metrics listening"/;

let prometheus: Prometheus;
let publisher: EventPublisher;
let apiUrl: string;
const targets: Record<string, string> = {};

beforeAll(async () => {
  const worker = startVidproc('worker', env);
  const bridge = startVidproc('bridge', env);
  const api = startVidproc('api', env);
  for (const proc of [worker, bridge, api]) targets[proc.name] = (await proc.waitFor(METRICS_AT))[1]!;
  await worker.waitFor(READY.worker);
  await bridge.waitFor(READY.bridge);
  apiUrl = (await api.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"api listening"/))[1]!;
  prometheus = await startPrometheus({ 'vidproc-worker': [targets.worker!], 'vidproc-bridge': [targets.bridge!], 'vidproc-api': [targets.api!] }, 2);
  publisher = await createEventPublisher(config.AMQP_URL, config);
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await stopVidprocs();
  await publisher?.deleteTopology();
  await publisher?.close();
}, 60_000);

/** Waits until Prometheus answers `expected` for the query (it scrapes every 2 seconds). */
async function expectSeries(promql: string, expected: number): Promise<void> {
  let last: number | undefined;
  try {
    await eventually(
      async () => {
        last = await prometheus.scalar(promql);
        return last === expected ? true : undefined;
      },
      { timeoutMs: 90_000, everyMs: 500 },
    );
  } catch {
    throw new Error(`${promql}: expected ${expected}, Prometheus says ${last}`);
  }
}

/** Waits until Prometheus answers more than `floor` for the query. */
async function expectSeriesAbove(promql: string, floor: number): Promise<void> {
  await expectSeries(`(${promql}) > bool ${floor}`, 1);
}

/** Publishes the whole life of `count` videos (uploaded, started, progress, completed) and one message that is not JSON. */
async function publishWave(count: number): Promise<string[]> {
  const videos = Array.from({ length: count }, () => uniqueId('metrics'));
  for (const videoId of videos) {
    publisher.publish(ev.uploaded(videoId, 'metrics-user', `${videoId}.mov`));
    publisher.publish(ev.started(videoId));
    publisher.publish(ev.progress(videoId, 50));
    publisher.publish(ev.completed(videoId));
  }
  await publisher.confirm();
  const model = await connect(config.AMQP_URL);
  const channel = await model.createConfirmChannel();
  channel.publish(config.AMQP_EXCHANGE, EVENT_TYPES.uploaded, Buffer.from('{not json'), { contentType: 'application/cloudevents+json' });
  await channel.waitForConfirms();
  await model.close();
  return videos;
}

const bridgeSeries = (name: string, labels = '') => `sum(${name}{job="vidproc-bridge"${labels}})`;

describe('metrics scraped by Prometheus', () => {
  it('scrapes the worker, the bridge and the API', async () => {
    for (const job of ['vidproc-worker', 'vidproc-bridge', 'vidproc-api']) {
      await expectSeries(`up{job="${job}"}`, 1);
      // Process metrics everywhere: CPU, memory, event-loop lag.
      await expectSeries(`count(process_cpu_user_seconds_total{job="${job}"})`, 1);
      await expectSeries(`count(process_resident_memory_bytes{job="${job}"})`, 1);
      await expectSeries(`count(nodejs_eventloop_lag_seconds{job="${job}"})`, 1);
    }
    // Nothing published yet: the counters are there, at zero.
    await expectSeries(bridgeSeries('vidproc_bridge_messages_total', ',outcome="acked"'), 0);
    await expectSeries('sum(vidproc_video_status_transitions_total{job="vidproc-worker",status="completed"})', 0);
  });

  it('moves the bridge, worker and API series as events flow, to exactly what was published', async () => {
    const token = await signDevToken(config.AUTH_JWT_SECRET!, 'metrics-user');
    let published = { videos: 0, messages: 0, invalid: 0 };
    for (const wave of [3, 2]) {
      const videos = await publishWave(wave);
      published = { videos: published.videos + wave, messages: published.messages + wave * 4 + 1, invalid: published.invalid + 1 };

      await expectSeries(bridgeSeries('vidproc_bridge_messages_consumed_total'), published.messages);
      await expectSeries(bridgeSeries('vidproc_bridge_messages_total', ',outcome="acked"'), published.messages);
      await expectSeries(bridgeSeries('vidproc_bridge_messages_total', ',outcome=~"requeued|retried|rejected"'), 0);
      await expectSeries(bridgeSeries('vidproc_bridge_dead_letters_total', ',reason="not_json"'), published.invalid);
      await expectSeries(bridgeSeries('vidproc_bridge_message_handling_duration_seconds_count'), published.messages);
      await expectSeries(bridgeSeries('vidproc_bridge_messages_in_flight'), 0);
      // Each video entered each status once.
      for (const status of ['uploaded', 'processing', 'completed']) {
        await expectSeries(`sum(vidproc_video_status_transitions_total{job="vidproc-worker",status="${status}"})`, published.videos);
      }
      await expectSeries('sum(vidproc_video_status_transitions_total{job="vidproc-worker",status="failed"})', 0);

      for (const videoId of videos) {
        await eventually(async () => {
          const res = await fetch(`${apiUrl}/v1/videos/${videoId}`, { headers: { Authorization: `Bearer ${token}` } });
          const body = (await res.json()) as { status?: string };
          return body.status === 'completed' ? true : undefined;
        });
      }
      // The API's requests by route template (never the video id), and the 404 of a path no route has.
      await expectSeriesAbove('sum(vidproc_api_requests_total{job="vidproc-api",route="/v1/videos/:videoId",method="GET",status_class="2xx"})', published.videos - 1);
    }

    // Metrics are not on the API's public port (a 404, counted as unmatched like any other).
    expect((await fetch(`${apiUrl}/metrics`)).status).toBe(404);
    await fetch(`${apiUrl}/no/such/route`);
    await expectSeries('sum(vidproc_api_requests_total{job="vidproc-api",route="unmatched",status_class="4xx"})', 2);
    await expectSeries('count(vidproc_api_requests_total{job="vidproc-api",route=~".*metrics-.*"}) or vector(0)', 0);
    await expectSeriesAbove('count(vidproc_api_request_duration_seconds_bucket{job="vidproc-api",route="/v1/videos/:videoId"})', 0);

    // The queue as RabbitMQ sees it: drained, one consumer (the bridge), the invalid messages in the DLQ.
    await expectSeries('max(vidproc_amqp_queue_messages{job="vidproc-bridge",role="events"})', 0);
    await expectSeries('max(vidproc_amqp_queue_consumers{job="vidproc-bridge",role="events"})', 1);
    await expectSeries('max(vidproc_amqp_queue_messages{job="vidproc-bridge",role="dead_letters"})', published.invalid);
    // The projection writes were timed; the stalled gauge is read from Postgres (the whole test
    // database, which other tests share: its value is theirs too).
    await expectSeriesAbove('sum(vidproc_projection_write_duration_seconds_count{job="vidproc-worker"})', 0);
    await expectSeries('count(vidproc_videos_stalled{job="vidproc-worker"} >= 0)', 1);
    // The Temporal SDK's own metrics come through the worker's one metrics port.
    await expectSeriesAbove('sum(temporal_workflow_task_schedule_to_start_latency_seconds_count{job="vidproc-worker"})', 0);
    await expectSeriesAbove('sum(temporal_local_activity_execution_latency_seconds_count{job="vidproc-worker"})', 0);
  }, 400_000);
});

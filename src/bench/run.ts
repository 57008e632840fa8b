/**
 * `npm run bench`: the whole stack on this machine (Temporal dev server unless TEMPORAL_ADDRESS
 * is set, Postgres, RabbitMQ, worker, bridge, API), then
 *  1. pipeline: publish uploaded/started/completed for N videos; report videos/s until all are
 *     visible as completed through the API, and the publish-to-visible lag (p50, p99);
 *  2. reads: autocannon on GET /v1/videos/:id for in-flight (workflow query) and completed
 *     (Postgres) videos; report req/s and latency percentiles.
 * Knobs: BENCH_VIDEOS (300), BENCH_IN_FLIGHT (50), BENCH_DURATION_S (10), BENCH_CONNECTIONS (32).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { signDevToken } from '../api/lib/auth.js';
import { createEventPublisher } from '../bridge/publisher.js';
import { loadConfig } from '../config/env.js';
import { migrateDatabase } from '../db/index.js';
import { EVENT_TYPES, type VideoEventInput } from '../domain/events.js';
import { createLogger } from '../logger.js';
import { startApi, startBridge, startWorker, type Running } from '../services.js';
import { startDevServer } from '../temporal/dev-server.js';
import { installTemporalRuntime } from '../temporal/runtime.js';

const int = (name: string, fallback: number) => Number.parseInt(process.env[name] ?? '', 10) || fallback;
const VIDEOS = int('BENCH_VIDEOS', 300);
const IN_FLIGHT = int('BENCH_IN_FLIGHT', 50);
const DURATION_S = int('BENCH_DURATION_S', 10);
const CONNECTIONS = int('BENCH_CONNECTIONS', 32);
const VISIBLE_TIMEOUT_MS = 10 * 60_000;

const run = randomUUID().slice(0, 8);
const config = loadConfig({
  ...process.env,
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vidproc_bench',
  AMQP_EXCHANGE: `bench.events.${run}`,
  AMQP_QUEUE: `bench.tracker.${run}`,
  TEMPORAL_TASK_QUEUE: `bench-${run}`,
  PORT: '0',
  HOST: '127.0.0.1',
  AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const logger = createLogger(config.LOG_LEVEL);

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

const event = (videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>) =>
  ({ specversion: '1.0', id: randomUUID(), source: 'vidproc-bench', type, subject: videoId, time: new Date().toISOString(), data }) as VideoEventInput;

async function main() {
  installTemporalRuntime(logger);
  const parts: Running[] = [];
  let address = config.TEMPORAL_ADDRESS;
  if (!address) {
    const server = await startDevServer({ cliPath: config.TEMPORAL_CLI_PATH });
    address = server.address;
    parts.push({ describe: {}, stop: () => server.stop() });
  }
  await migrateDatabase(config.DATABASE_URL);
  parts.push(await startWorker(config, address, logger));
  parts.push(await startBridge(config, address, logger));
  const api = await startApi(config, address, logger);
  parts.push(api);
  const publisher = await createEventPublisher(config.AMQP_URL, config);
  const token = await signDevToken(config.AUTH_JWT_SECRET!, 'bench-user');
  const headers = { Authorization: `Bearer ${token}` };

  const statusOf = async (videoId: string) => {
    const res = await fetch(`${api.url}/v1/videos/${videoId}`, { headers });
    return res.ok ? ((await res.json()) as { status: string }).status : undefined;
  };

  /** Polls every pending video until it shows `status`; returns when each was first seen so. */
  const waitVisible = async (ids: string[], status: string) => {
    const seenAt = new Map<string, number>();
    const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
    while (seenAt.size < ids.length && Date.now() < deadline) {
      const pending = ids.filter((id) => !seenAt.has(id));
      for (let i = 0; i < pending.length; i += 32) {
        await Promise.all(
          pending.slice(i, i + 32).map(async (id) => {
            if ((await statusOf(id)) === status) seenAt.set(id, performance.now());
          }),
        );
      }
      await sleep(20);
    }
    if (seenAt.size < ids.length) throw new Error(`${ids.length - seenAt.size} videos never became ${status}`);
    return seenAt;
  };

  // 1. pipeline
  const ids = Array.from({ length: VIDEOS }, (_, i) => `bench-${run}-${i}`);
  const publishedAt = new Map<string, number>();
  const started = performance.now();
  const visible = waitVisible(ids, 'completed');
  for (const id of ids) {
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: 'bench-user', fileName: `${id}.mp4` }));
    publisher.publish(event(id, EVENT_TYPES.started, {}));
    publisher.publish(event(id, EVENT_TYPES.completed, { imagesUrl: `s3://bench/${id}.zip`, frameCount: 100 }));
    publishedAt.set(id, performance.now());
  }
  await publisher.confirm();
  const seenAt = await visible;
  const elapsedS = (Math.max(...seenAt.values()) - started) / 1000;
  const lags = ids.map((id) => seenAt.get(id)! - publishedAt.get(id)!).sort((a, b) => a - b);

  // 2. reads
  const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) => `bench-${run}-live-${i}`);
  for (const id of inFlight) {
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: 'bench-user' }));
    publisher.publish(event(id, EVENT_TYPES.started, {}));
  }
  await publisher.confirm();
  await waitVisible(inFlight, 'processing');

  const load = async (videoIds: string[], expectSource: string) => {
    let n = 0;
    let wrongSource = 0;
    const result = await autocannon({
      url: api.url,
      connections: CONNECTIONS,
      duration: DURATION_S,
      headers,
      requests: [
        {
          setupRequest: (req) => ({ ...req, path: `/v1/videos/${videoIds[n++ % videoIds.length]}` }),
          onResponse: (_status, _body, _ctx, resHeaders) => {
            if (resHeaders?.['x-status-source'] !== expectSource) wrongSource++;
          },
        },
      ],
    });
    return { result, wrongSource };
  };
  const live = await load(inFlight, 'workflow');
  const done = await load(ids, 'database');

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows = [
    ['pipeline: videos/s until visible as completed', `${(VIDEOS / elapsedS).toFixed(1)} videos/s (${VIDEOS} videos, 3 events each, ${elapsedS.toFixed(1)} s)`],
    ['pipeline: publish-to-visible lag p50', ms(percentile(lags, 50))],
    ['pipeline: publish-to-visible lag p99', ms(percentile(lags, 99))],
    ...(
      [
        ['GET in-flight (workflow query)', live],
        ['GET completed (Postgres)', done],
      ] as const
    ).flatMap(([name, { result, wrongSource }]) => [
      [`${name}: req/s`, `${result.requests.average.toFixed(0)} (${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors, ${wrongSource} other source)`],
      [`${name}: latency p50 / p90 / p99`, `${result.latency.p50} / ${result.latency.p90} / ${result.latency.p99} ms`],
    ]),
  ];
  const width = Math.max(...rows.map(([k]) => k!.length));
  const table = [
    `| ${'measure'.padEnd(width)} | result |`,
    `| ${'-'.repeat(width)} | ------ |`,
    ...rows.map(([k, v]) => `| ${k!.padEnd(width)} | ${v} |`),
  ].join('\n');
  process.stdout.write(`\nvidproc bench (${CONNECTIONS} connections, ${DURATION_S} s per read load)\n\n${table}\n\n`);

  for (const part of parts.reverse()) await part.stop();
  await publisher.deleteTopology();
  await publisher.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    logger.fatal({ err }, 'bench failed');
    process.exit(1);
  },
);

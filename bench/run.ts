/**
 * `npm run bench`: the whole stack on this machine, as in production: the Temporal dev server
 * (unless TEMPORAL_ADDRESS is set), Postgres, RabbitMQ, and `vidproc worker`, `vidproc bridge`
 * and `vidproc api` as three processes of their own, built (dist/main.js); this process only
 * publishes and reads, and runs from source through Node's type stripping (test/support/ts-hooks.mjs):
 *  1. pipeline: publish uploaded/started/completed for N videos; report videos/s until all are
 *     visible as completed through the API, and the publish-to-visible lag (p50, p99);
 *  2. reads: autocannon on GET /v1/videos/:id for in-flight (workflow query) and completed
 *     (Postgres) videos; report req/s and latency percentiles.
 *  1b. the same lag at a steady rate (half the measured throughput) for BENCH_STEADY_S seconds;
 *  3. webhooks: BENCH_WEBHOOK_VIDEOS videos completed while the user's webhook receiver is down for
 *     BENCH_WEBHOOK_DOWN_S seconds, then back: every delivery arrives (once per webhook-id after
 *     deduplication, each signature verified); then the same number with the receiver up: the
 *     publish-to-webhook lag.
 * Knobs: BENCH_VIDEOS (300), BENCH_STEADY_S (10), BENCH_IN_FLIGHT (50), BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (32), BENCH_WEBHOOK_VIDEOS (100), BENCH_WEBHOOK_DOWN_S (10).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { signDevToken } from '../src/api/lib/auth.js';
import { loadConfig } from '../src/config/env.js';
import { migrateDatabase } from '../src/db/index.js';
import { EVENT_TYPES, type VideoEventInput } from '../src/domain/events.js';
import { createLogger } from '../src/logger.js';
import { connectClient } from '../src/temporal/connection.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { createEventPublisher } from '../test/support/event-publisher.js';
import { startSignedWebhookReceiver } from '../test/support/webhook-receiver.js';

const int = (name: string, fallback: number) => Number.parseInt(process.env[name] ?? '', 10) || fallback;
const VIDEOS = int('BENCH_VIDEOS', 300);
const IN_FLIGHT = int('BENCH_IN_FLIGHT', 50);
const DURATION_S = int('BENCH_DURATION_S', 10);
const CONNECTIONS = int('BENCH_CONNECTIONS', 32);
const VISIBLE_TIMEOUT_MS = 10 * 60_000;
const STEADY_S = int('BENCH_STEADY_S', 10);
const STEADY_FRACTION = 0.5;
const POLL_OLDEST = 16;
const POLL_RANDOM = 8;
const WEBHOOK_VIDEOS = int('BENCH_WEBHOOK_VIDEOS', 100);
const WEBHOOK_DOWN_S = int('BENCH_WEBHOOK_DOWN_S', 10);
/**
 * With the receiver up, videos at this fraction of the burst throughput: each costs a delivery
 * workflow besides its own, so well below what the pipeline takes, and the lag is latency, not a backlog.
 */
const WEBHOOK_UP_FRACTION = 0.25;

const run = randomUUID().slice(0, 8);
const benchEnv = {
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vidproc_bench',
  AMQP_EXCHANGE: `bench.events.${run}`,
  AMQP_QUEUE: `bench.tracker.${run}`,
  TEMPORAL_TASK_QUEUE: `bench-${run}`,
  HOST: '127.0.0.1',
  AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // The webhook receiver is on this machine; retries short enough for a receiver down for seconds.
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_INITIAL: '1s',
  WEBHOOK_RETRY_MAX_INTERVAL: '5s',
};
const config = loadConfig({ ...process.env, ...benchEnv });
const logger = createLogger(config.LOG_LEVEL);
const mainPath = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const logPath = join(tmpdir(), `vidproc-bench-${run}.log`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `vidproc <command>` as a process of its own, its output appended to the bench log. */
function spawnVidproc(command: string, env: Record<string, string>): ChildProcess {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(process.execPath, [mainPath, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') logger.error({ command, code, signal, logPath }, 'a vidproc process exited');
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms (see ${logPath})`);
    await sleep(200);
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

const event = (videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>) =>
  ({ specversion: '1.0', id: randomUUID(), source: 'vidproc-bench', type, subject: videoId, time: new Date().toISOString(), data }) as VideoEventInput;

const stops: Array<() => Promise<void>> = [];
/** Stops what was started, last first (each only once). */
async function stopAll(): Promise<void> {
  for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch((err: unknown) => logger.warn({ err }, 'stop failed'));
}

async function main() {
  let address = config.TEMPORAL_ADDRESS;
  if (!address) {
    const server = await startDevServer({ cliPath: config.TEMPORAL_CLI_PATH });
    address = server.address;
    stops.push(() => server.stop());
  }
  await migrateDatabase(config.DATABASE_URL);
  const port = await freePort();
  const env = { ...benchEnv, TEMPORAL_ADDRESS: address, PORT: String(port) };
  const children = ['worker', 'bridge', 'api'].map((command) => spawnVidproc(command, env));
  stops.push(async () => {
    for (const child of children.reverse()) await stopProcess(child);
  });
  const api = { url: `http://127.0.0.1:${port}` };

  // Ready: the API answers /readyz and a worker polls the task queue.
  const { connection } = await connectClient({ ...config.temporal, address });
  await until('api', async () => (await fetch(`${api.url}/readyz`)).ok);
  await until('worker', async () => {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
      taskQueueType: 1, // workflow tasks
    });
    return (pollers?.length ?? 0) > 0;
  });
  await connection.close();

  const publisher = await createEventPublisher(config.AMQP_URL, config);
  const token = await signDevToken(config.AUTH_JWT_SECRET!, 'bench-user');
  const headers = { Authorization: `Bearer ${token}` };

  const statusOf = async (videoId: string) => {
    const res = await fetch(`${api.url}/v1/videos/${videoId}`, { headers });
    return res.ok ? ((await res.json()) as { status: string }).status : undefined;
  };

  /**
   * Polls pending videos until each shows `status`; returns when each was first seen so. Each
   * round reads the oldest pending videos (the queue is roughly FIFO) and a few others at random,
   * so detection stays close to the moment a video becomes visible without flooding the API.
   */
  const waitVisible = async (ids: string[], status: string) => {
    const seenAt = new Map<string, number>();
    const deadline = Date.now() + VISIBLE_TIMEOUT_MS;
    while (seenAt.size < ids.length && Date.now() < deadline) {
      const pending = ids.filter((id) => !seenAt.has(id));
      const rest = pending.slice(POLL_OLDEST);
      const picks = [...pending.slice(0, POLL_OLDEST), ...Array.from({ length: Math.min(POLL_RANDOM, rest.length) }, () => rest[Math.floor(Math.random() * rest.length)]!)];
      await Promise.all(
        [...new Set(picks)].map(async (id) => {
          if ((await statusOf(id)) === status) seenAt.set(id, performance.now());
        }),
      );
      await sleep(10);
    }
    if (seenAt.size < ids.length) throw new Error(`${ids.length - seenAt.size} videos never became ${status}`);
    return seenAt;
  };

  const publishVideo = (id: string) => {
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: 'bench-user', fileName: `${id}.mp4` }));
    publisher.publish(event(id, EVENT_TYPES.started, {}));
    publisher.publish(event(id, EVENT_TYPES.completed, { imagesUrl: `s3://bench/${id}.zip`, frameCount: 100 }));
  };
  const lagsOf = (ids: string[], publishedAt: Map<string, number>, seenAt: Map<string, number>) =>
    ids.map((id) => seenAt.get(id)! - publishedAt.get(id)!).sort((a, b) => a - b);

  // 1a. pipeline, burst: all N videos at once; throughput, and the lag under that backlog
  const ids = Array.from({ length: VIDEOS }, (_, i) => `bench-${run}-${i}`);
  const started = performance.now();
  const visible = waitVisible(ids, 'completed');
  ids.forEach(publishVideo);
  await publisher.confirm();
  const confirmedAt = performance.now();
  const seenAt = await visible;
  const elapsedS = (Math.max(...seenAt.values()) - started) / 1000;
  const throughput = VIDEOS / elapsedS;
  const burstLags = lagsOf(ids, new Map(ids.map((id) => [id, confirmedAt])), seenAt);

  // 1b. pipeline, steady: videos at half the measured throughput, each timed from its publish
  const rate = Math.max(1, Math.floor(throughput * STEADY_FRACTION));
  const steadyIds = Array.from({ length: rate * STEADY_S }, (_, i) => `bench-${run}-steady-${i}`);
  const steadyPublishedAt = new Map<string, number>();
  const steadyVisible = waitVisible(steadyIds, 'completed');
  const t0 = performance.now();
  for (const [i, id] of steadyIds.entries()) {
    const due = t0 + (i * 1000) / rate;
    if (due > performance.now()) await sleep(due - performance.now());
    publishVideo(id);
    steadyPublishedAt.set(id, performance.now());
  }
  await publisher.confirm();
  const steadyLags = lagsOf(steadyIds, steadyPublishedAt, await steadyVisible);

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

  // 3. webhooks: an endpoint of another user (the videos above made no deliveries), its receiver down, then back
  const hooks = await webhooksPhase(api.url, publisher, throughput);

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows = [
    ['burst: videos/s until all visible as completed', `${throughput.toFixed(1)} videos/s (${VIDEOS} videos at once, 3 events each, ${elapsedS.toFixed(1)} s)`],
    ['burst: publish-to-visible lag p50 / p99', `${ms(percentile(burstLags, 50))} / ${ms(percentile(burstLags, 99))}`],
    [`steady ${rate} videos/s for ${STEADY_S} s: lag p50 / p99`, `${ms(percentile(steadyLags, 50))} / ${ms(percentile(steadyLags, 99))}`],
    ...(
      [
        ['GET in-flight (workflow query)', live],
        ['GET completed (Postgres)', done],
      ] as const
    ).flatMap(([name, { result, wrongSource }]) => [
      [`${name}: req/s`, `${result.requests.average.toFixed(0)} (${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors, ${wrongSource} other source)`],
      [`${name}: latency p50 / p90 / p99`, `${result.latency.p50} / ${result.latency.p90} / ${result.latency.p99} ms`],
    ]),
    [`webhooks: receiver down ${WEBHOOK_DOWN_S} s, ${WEBHOOK_VIDEOS} videos`, hooks.down],
    ['webhooks: receiver back: all delivered after', hooks.drained],
    [`webhooks: receiver up, ${WEBHOOK_VIDEOS} videos: publish-to-webhook p50 / p99`, hooks.upLag],
  ];
  const width = Math.max(...rows.map(([k]) => k!.length));
  const table = [
    `| ${'measure'.padEnd(width)} | result |`,
    `| ${'-'.repeat(width)} | ------ |`,
    ...rows.map(([k, v]) => `| ${k!.padEnd(width)} | ${v} |`),
  ].join('\n');
  process.stdout.write(`\nvidproc bench (${CONNECTIONS} connections, ${DURATION_S} s per read load; process logs: ${logPath})\n\n${table}\n\n`);

  await stopAll();
  await publisher.deleteTopology();
  await publisher.close();
}

/**
 * Phase 3: a user's endpoint for video.completed; its receiver (verifying every signature) down
 * while videos complete, then back; then videos with it up. Deliveries are counted per webhook-id.
 */
async function webhooksPhase(apiUrl: string, publisher: Awaited<ReturnType<typeof createEventPublisher>>, throughput: number) {
  const intervalMs = Math.round(1000 / Math.max(1, throughput * WEBHOOK_UP_FRACTION));
  const user = 'bench-hooks';
  const publishVideo = (id: string) => {
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: user }));
    publisher.publish(event(id, EVENT_TYPES.completed, { imagesUrl: `s3://bench/${id}.zip` }));
  };
  const headers = { Authorization: `Bearer ${await signDevToken(config.AUTH_JWT_SECRET!, user)}`, 'Content-Type': 'application/json' };
  const receiver = await startSignedWebhookReceiver();
  stops.push(() => receiver.close());
  const res = await fetch(`${apiUrl}/v1/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, events: ['video.completed'] }) });
  if (res.status !== 201) throw new Error(`webhook endpoint not registered: ${res.status} ${await res.text()}`);
  receiver.secrets.push(((await res.json()) as { secret: string }).secret);
  const completedOf = (ids: Set<string>) => receiver.unique().filter((r) => ids.has(r.body.data.videoId));
  const receivedAt = new Map<string, number>();
  const watch = setInterval(() => {
    for (const r of receiver.received) if (!receivedAt.has(r.body.data.videoId)) receivedAt.set(r.body.data.videoId, performance.now());
  }, 5);
  stops.push(() => Promise.resolve(clearInterval(watch)));

  await receiver.stop();
  const downIds = new Set(Array.from({ length: WEBHOOK_VIDEOS }, (_, i) => `bench-${run}-hook-down-${i}`));
  for (const id of downIds) publishVideo(id);
  await publisher.confirm();
  await sleep(WEBHOOK_DOWN_S * 1000);
  const backAt = performance.now();
  await receiver.start();
  await until('every webhook delivered', () => Promise.resolve(completedOf(downIds).length === downIds.size), VISIBLE_TIMEOUT_MS);
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
  await until('every webhook received', () => Promise.resolve(completedOf(new Set(upIds)).length === upIds.length), VISIBLE_TIMEOUT_MS);
  const lags = upIds.map((id) => receivedAt.get(id)! - publishedAt.get(id)!).sort((a, b) => a - b);
  if (receiver.rejected.length > 0) throw new Error(`${receiver.rejected.length} webhooks did not verify`);
  return {
    down: `${downIds.size} unique webhook-ids received of ${downIds.size} (${duplicates} duplicates dropped by webhook-id), 0 unverified`,
    drained: `${drainedS.toFixed(1)} s`,
    upLag: `${percentile(lags, 50).toFixed(0)} ms / ${percentile(lags, 99).toFixed(0)} ms (one video every ${intervalMs} ms)`,
  };
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    logger.fatal({ err }, 'bench failed');
    await stopAll();
    process.exit(1);
  },
);

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
 *  3. live streams: 1,000 SSE clients, a status change each (bench/sse.ts);
 *  4. webhooks: a receiver down, then back: every delivery once per webhook-id; the lag with it up (bench/webhooks.ts);
 *  5. listings: GET /v1/videos with 100k videos in the table (bench/list-videos.ts, also alone:
 *     `npm run bench:list`);
 *  5b. overload: 200 concurrent readers (100 in flight, 100 finished) while events flow, for each
 *     BENCH_OVERLOAD_BOUNDS setting on an API process of its own, with a greedy user past the rate
 *     limit (bench/overload.ts);
 *  6. Temporal's floor on the same server (bench/floor.ts): a trivial workflow fed the same signals the
 *     way the bridge feeds them, and trivial queries at the same concurrency; vidproc's burst and
 *     in-flight reads are printed as ratios of it, and everything as one `BENCH_JSON {...}` line.
 * Knobs: BENCH_VIDEOS (2000), BENCH_STEADY_S (10), BENCH_IN_FLIGHT (50), BENCH_DURATION_S (10),
 * BENCH_CONNECTIONS (32), BENCH_PHASES (all: floor,burst,steady,reads,sse,webhooks,listings,overload; a
 * comma-separated subset runs only those, e.g. `BENCH_PHASES=floor,burst npm run bench`), BENCH_METRICS
 * (on: each process serves /metrics and a real Prometheus scrapes them every BENCH_SCRAPE_S, 1; off: METRICS_PORT=off).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { signDevToken } from '../src/api/lib/auth.js';
import { measureStreams } from './sse.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';
import { connectClient } from '../src/temporal/connection.js';
import { createEventPublisher } from '../test/support/event-publisher.js';
import { benchListVideos } from './list-videos.js';
import { benchOverload } from './overload.js';
import { measureFloor } from './floor.js';
import { benchWebhooks } from './webhooks.js';
import { config, cpuMeter, int, logPath, markdownTable, percentile, run, runBench, startStack, stopAll, until } from './stack.js';

const VIDEOS = int('BENCH_VIDEOS', 2000);
const IN_FLIGHT = int('BENCH_IN_FLIGHT', 50);
const DURATION_S = int('BENCH_DURATION_S', 10);
const CONNECTIONS = int('BENCH_CONNECTIONS', 32);
const VISIBLE_TIMEOUT_MS = 10 * 60_000;
const STEADY_S = int('BENCH_STEADY_S', 10);
const STEADY_FRACTION = 0.5;
const POLL_OLDEST = 16;
const POLL_RANDOM = 8;
const STREAMS = int('BENCH_STREAMS', 1000);
const PHASES = ['floor', 'burst', 'steady', 'reads', 'sse', 'webhooks', 'listings', 'overload'] as const;
type Phase = (typeof PHASES)[number];
const chosen = (process.env.BENCH_PHASES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
for (const p of chosen) if (!PHASES.includes(p as Phase)) throw new Error(`BENCH_PHASES: unknown phase "${p}" (known: ${PHASES.join(', ')})`);
/** Whether this run measures `phase` (all of them unless BENCH_PHASES names some). */
const runs = (phase: Phase) => chosen.length === 0 || chosen.includes(phase);

const event = (videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>) =>
  ({ specversion: '1.0', id: randomUUID(), source: 'vidproc-bench', type, subject: videoId, time: new Date().toISOString(), data }) as VideoEventInput;

async function main() {
  const { address, api, pids, env: stackEnv } = await startStack(['worker', 'bridge', 'api']);
  // Temporal's floor first, on the fresh server: later phases leave many workflows open (the
  // streams' videos), which slow the server for whatever comes after them.
  const floor = runs('floor') ? await measureFloor(address, { videos: VIDEOS, connections: CONNECTIONS, durationS: DURATION_S, server: pids.server }) : undefined;

  // Ready: the API answers /readyz (startStack) and a worker polls the task queue.
  const { connection } = await connectClient({ ...config.temporal, address });
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

  // 1a. pipeline, burst: all N videos at once; throughput, and the lag under that backlog. Later
  //     phases need its rate and its completed videos: without the burst phase, a small one (unreported).
  const burstVideos = runs('burst') ? VIDEOS : Math.min(VIDEOS, 200);
  const ids = Array.from({ length: burstVideos }, (_, i) => `bench-${run}-${i}`);
  const burstCpu = await cpuMeter({ server: pids.server, worker: pids.worker, bridge: pids.bridge, api: pids.api });
  const started = performance.now();
  const visible = waitVisible(ids, 'completed');
  ids.forEach(publishVideo);
  await publisher.confirm();
  const confirmedAt = performance.now();
  const seenAt = await visible;
  const elapsedS = (Math.max(...seenAt.values()) - started) / 1000;
  const throughput = burstVideos / elapsedS;
  const burstCpuS = await burstCpu();
  const burstLags = lagsOf(ids, new Map(ids.map((id) => [id, confirmedAt])), seenAt);

  // 1b. pipeline, steady: videos at half the measured throughput, each timed from its publish
  const rate = Math.max(1, Math.floor(throughput * STEADY_FRACTION));
  const steadyIds = runs('steady') ? Array.from({ length: rate * STEADY_S }, (_, i) => `bench-${run}-steady-${i}`) : [];
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
  const inFlight = runs('reads') ? Array.from({ length: IN_FLIGHT }, (_, i) => `bench-${run}-live-${i}`) : [];
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
  const live = runs('reads') ? await load(inFlight, 'workflow') : undefined;
  const done = runs('reads') ? await load(ids, 'database') : undefined;

  // 3. live streams: BENCH_STREAMS SSE clients on the API, a status change each, published at
  //    the steady phase's event rate (what the pipeline sustains), so the lag is the streams' own
  //    and not a backlog's
  const streams = !runs('sse') ? undefined : await measureStreams(
    {
      apiUrl: api.url,
      apiPid: api.pid!,
      token,
      userId: 'bench-user',
      publish: (e) => publisher.publish(e),
      confirm: () => publisher.confirm(),
      event,
      waitVisible,
      percentile,
    },
    STREAMS,
    run,
    rate * 3,
  );

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows: string[][] = [];
  if (runs('burst')) {
    rows.push(
      ['burst: videos/s until all visible as completed', `${throughput.toFixed(1)} videos/s (${burstVideos} videos at once, 3 events each, ${elapsedS.toFixed(1)} s)`],
      ['burst: publish-to-visible lag p50 / p99', `${ms(percentile(burstLags, 50))} / ${ms(percentile(burstLags, 99))}`],
    );
  }
  /** CPU ms per video of each process, e.g. "server 20.1 · worker 9.8". */
  const perVideo = (cpu: Record<string, number>, videos: number) =>
    Object.entries(cpu)
      .map(([name, s]) => `${name} ${((s * 1000) / videos).toFixed(1)}`)
      .join(' · ');
  if (runs('burst')) rows.push(['burst: CPU ms per video (dev server, worker, bridge, api; includes the API polling)', perVideo(burstCpuS, burstVideos)]);
  if (floor) rows.push(['floor: CPU ms per video (dev server; this process: the floor worker + signalling client)', perVideo(floor.burstCpuS, VIDEOS)]);
  if (runs('steady')) rows.push([`steady ${rate} videos/s for ${STEADY_S} s: lag p50 / p99`, `${ms(percentile(steadyLags, 50))} / ${ms(percentile(steadyLags, 99))}`]);
  for (const [name, measured] of [
    ['GET in-flight (workflow query)', live],
    ['GET completed (Postgres)', done],
  ] as const) {
    if (!measured) continue;
    const { result, wrongSource } = measured;
    rows.push(
      [`${name}: req/s`, `${result.requests.average.toFixed(0)} (${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors, ${wrongSource} other source)`],
      [`${name}: latency p50 / p90 / p99`, `${result.latency.p50} / ${result.latency.p90} / ${result.latency.p99} ms`],
    );
  }
  if (streams) {
    rows.push(
      [
        `SSE: ${streams.streams} open streams, a status change each (published at ${streams.publishRate}/s): publish-to-event p50 / p99 / max`,
        `${ms(streams.lagP50Ms)} / ${ms(streams.lagP99Ms)} / ${ms(streams.lagMaxMs)} (${streams.delivered} delivered)`,
      ],
      ['SSE: API memory per open stream (RSS)', `${(streams.bytesPerStream / 1024).toFixed(1)} KiB`],
    );
  }

  // 4. webhooks, 5. listings: GET /v1/videos with 100k videos in the table
  if (runs('webhooks')) rows.push(...(await benchWebhooks(api.url, publisher, event, throughput)));
  if (runs('listings')) rows.push(...(await benchListVideos(api, { connections: CONNECTIONS, durationS: DURATION_S })));

  // 5b. overload: 100 videos in flight (their own) and 100 of the burst's finished ones
  let overload: Awaited<ReturnType<typeof benchOverload>> | undefined;
  if (runs('overload')) {
    const overloadInFlight = Array.from({ length: 100 }, (_, i) => `bench-${run}-ol-live-${i}`);
    for (const id of overloadInFlight) {
      publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: 'bench-user' }));
      publisher.publish(event(id, EVENT_TYPES.started, {}));
    }
    await publisher.confirm();
    await waitVisible(overloadInFlight, 'processing');
    overload = await benchOverload({
      env: stackEnv,
      secret: config.AUTH_JWT_SECRET!,
      inFlight: overloadInFlight,
      finished: ids.slice(0, 100),
      publish: (e) => publisher.publish(e),
      confirm: () => publisher.confirm(),
      event,
      durationS: DURATION_S,
    });
    rows.push(...overload.rows);
  }

  // 6. Temporal's floor (measured first, above), and vidproc's figures as ratios of it
  const ratio = (v: number, of: number) => `${(v / of).toFixed(2)}×`;
  if (floor) {
    rows.push(
      ['floor: trivial workflow, same signals: videos/s until all completed', `${floor.videosPerS.toFixed(1)} videos/s${runs('burst') ? `; vidproc ${ratio(throughput, floor.videosPerS)}` : ''}`],
      [
        `floor: trivial query at ${CONNECTIONS} concurrent: req/s, p99`,
        `${floor.queriesPerS.toFixed(0)} req/s, ${ms(floor.queryP99Ms)}${live ? `; vidproc's in-flight GET ${ratio(live.result.requests.average, floor.queriesPerS)} of the rate` : ''}`,
      ],
    );
  }

  const table = markdownTable(rows);
  process.stdout.write(`\nvidproc bench (${CONNECTIONS} connections, ${DURATION_S} s per read load; process logs: ${logPath})\n\n${table}\n\n`);
  // One line with everything, for tracking runs over time.
  const summary = {
    date: new Date().toISOString(),
    phases: PHASES.filter(runs),
    videos: burstVideos,
    connections: CONNECTIONS,
    ...(runs('burst') && { burstVideosPerS: throughput, burstLagP99Ms: percentile(burstLags, 99), burstCpuS }),
    ...(floor && { floorCpuS: floor.burstCpuS }),
    ...(floor && { floorVideosPerS: floor.videosPerS, floorQueriesPerS: floor.queriesPerS, floorQueryP99Ms: floor.queryP99Ms }),
    ...(floor && runs('burst') && { burstVsFloor: throughput / floor.videosPerS }),
    ...(runs('steady') && { steadyLagP99Ms: percentile(steadyLags, 99) }),
    ...(live && { inFlightGetPerS: live.result.requests.average, inFlightGetP99Ms: live.result.latency.p99 }),
    ...(live && floor && { inFlightVsFloor: live.result.requests.average / floor.queriesPerS }),
    ...(done && { completedGetPerS: done.result.requests.average, completedGetP99Ms: done.result.latency.p99 }),
    ...(streams && { sseLagP99Ms: streams.lagP99Ms }),
    ...(overload && { overload: overload.summary }),
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(summary)}\n`);

  await stopAll();
  await publisher.deleteTopology();
  await publisher.close();
}

runBench('bench', main);

/**
 * `npm run bench:burst` (issue 9, part 4): N `uploaded` events published at once, with
 * `vidproc worker`, `vidproc bridge` and `vidproc api` as processes of their own (dist/main.js, the
 * workflows prebundled as in the image), the worker held to a memory limit by a cgroup.
 *
 *  1. floor: Temporal's floor for starting N videos, first, on the fresh dev server: a trivial
 *     workflow (bench/floor-workflows.ts floorOpenWorkflow) signal-with-started with one event by
 *     as many concurrent chains as the bridge's prefetch, which tells its worker (a sink) it has
 *     seen the event and then stays open, as an uploaded video does. Time: first start to last
 *     sink call. Its worker runs in this process, like bench/floor.ts's.
 *  2. burst: N `uploaded` events published at once; time until all N rows are in Postgres
 *     (counted every second). Meanwhile: the worker's RSS every second (max; restarts, OOM kills;
 *     a worker that dies is started again, as the kubelet would), its workflow cache from the
 *     SDK's metrics (size, forced evictions, misses = replays), and reads (GET of random videos
 *     already in Postgres, answered by their open workflows) every few seconds.
 *  3. open: with all N open, the stall timers (STUCK_UPLOADED_AFTER = BENCH_STALL_AFTER) come
 *     due; how late each fired (last_alert_at - stalled_since: the workflow's time at the timer's
 *     task against its deadline), and reads again.
 *  4. eviction cost: one video's history fetched (what a cache miss fetches) and replayed
 *     (Worker.runReplayHistories, BENCH_REPLAYS copies): ms per replay; workflow tasks per video.
 *
 * Knobs: BENCH_BURST_VIDEOS (20000), BENCH_WORKER_LIMIT (memory cgroup limit for the worker, `1Gi`;
 * `none`: no cgroup), BENCH_WORKER_SIZING (`configured`: WORKER_MEMORY_LIMIT and the chart's
 * NODE_OPTIONS; `sdk`: WORKER_MEMORY_LIMIT=none, the SDK's defaults, as before the sizing),
 * BENCH_WORKER_ENV (extra worker env, `K=V,K=V`), BENCH_STALL_AFTER (10m), BENCH_TIMER_WINDOW_S
 * (60), BENCH_BURST_TIMEOUT_MIN (45), BENCH_BURST_PHASES (floor,burst), BENCH_WORKER_CPU_PROF (1:
 * the worker writes a .cpuprofile to the bench log's folder), BENCH_REPLAYS (200).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { Worker, type InjectedSinks } from '@temporalio/worker';
import proto from '@temporalio/proto';
import pg from 'pg';
import { signDevToken } from '../src/api/lib/auth.js';
import { parseMemorySize, sizeWorker } from '../src/config/worker-sizing.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import { tracesEndpoint } from '../src/tracing/setup.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';
import { createEventPublisher } from '../test/support/event-publisher.js';
import { startFloorWorker } from './floor.js';
import { floorEventSignal, type FloorSinks, type floorOpenWorkflow } from './floor-workflows.js';
import { config, freePort, int, logger, logPath, markdownTable, onStop, percentile, run, runBench, scrapeSdkMetrics, spawnVidproc, startStack, stopAll, stopProcess, until } from './stack.js';

const VIDEOS = int('BENCH_BURST_VIDEOS', 20_000);
const LIMIT = process.env.BENCH_WORKER_LIMIT ?? '1Gi';
const LIMIT_BYTES = LIMIT === 'none' ? undefined : parseMemorySize(LIMIT);
const SIZING = process.env.BENCH_WORKER_SIZING ?? 'configured';
const STALL_AFTER = process.env.BENCH_STALL_AFTER ?? '10m';
const TIMER_WINDOW_S = int('BENCH_TIMER_WINDOW_S', 60);
const TIMEOUT_MS = int('BENCH_BURST_TIMEOUT_MIN', 45) * 60_000;
const REPLAYS = int('BENCH_REPLAYS', 200);
const PHASES = (process.env.BENCH_BURST_PHASES ?? 'floor,burst').split(',').map((p) => p.trim());
const CPU_PROF = process.env.BENCH_WORKER_CPU_PROF === '1';
/** In-flight signal-with-start chains at once: what the bridge's prefetch allows it. */
const SIGNALLERS = config.AMQP_PREFETCH;
if (LIMIT !== 'none' && LIMIT_BYTES === undefined) throw new Error(`BENCH_WORKER_LIMIT: not a memory size: ${LIMIT}`);
if (!['configured', 'sdk'].includes(SIZING)) throw new Error(`BENCH_WORKER_SIZING: configured or sdk, not ${SIZING}`);

const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const bundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));

// --- the worker's memory cgroup -------------------------------------------------------------------

interface MemoryCgroup {
  kind: 'cgroup v1' | 'cgroup v2';
  dir: string;
  /** Wraps a command so it runs inside the cgroup. */
  wrap: (argv: string[]) => string[];
  /** OOM kills in the cgroup so far. */
  oomKills: () => Promise<number>;
  peakBytes: () => Promise<number>;
}

/** A memory cgroup of `bytes` under this process's own (v1 or v2), or undefined if none can be made. */
async function makeMemoryCgroup(bytes: number): Promise<MemoryCgroup | undefined> {
  const lines = (await readFile('/proc/self/cgroup', 'utf8')).split('\n');
  const v1 = lines.find((l) => /^\d+:memory:/.test(l))?.split(':')[2];
  const v2 = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const candidates: Array<[MemoryCgroup['kind'], string, string, string, string]> = [];
  if (v1 !== undefined) candidates.push(['cgroup v1', `/sys/fs/cgroup/memory${v1}`, 'memory.limit_in_bytes', 'memory.oom_control', 'memory.max_usage_in_bytes']);
  if (v2 !== undefined) candidates.push(['cgroup v2', `/sys/fs/cgroup${v2}`, 'memory.max', 'memory.events', 'memory.peak']);
  for (const [kind, parent, limitFile, oomFile, peakFile] of candidates) {
    const dir = `${parent.replace(/\/$/, '')}/vidproc-bench-${run}`;
    try {
      await mkdir(dir);
      await writeFile(`${dir}/${limitFile}`, String(bytes));
      if (kind === 'cgroup v2') await writeFile(`${dir}/memory.swap.max`, '0').catch(() => undefined);
      onStop(async () => {
        await sleep(500);
        await rmdir(dir).catch(() => undefined);
      });
      return {
        kind,
        dir,
        wrap: (argv) => ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...argv],
        oomKills: async () => Number(/oom_kill (\d+)/.exec(await readFile(`${dir}/${oomFile}`, 'utf8').catch(() => ''))?.[1] ?? 0),
        peakBytes: async () => Number((await readFile(`${dir}/${peakFile}`, 'utf8').catch(() => 'NaN')).trim()),
      };
    } catch (err) {
      logger.warn({ err, dir }, 'no memory cgroup here');
      await rmdir(dir).catch(() => undefined);
    }
  }
  return undefined;
}

// --- the worker, watched ----------------------------------------------------------------------------

async function rssOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) * 1024;
}

/** The SDK's metrics the bench reads (Prometheus text), summed over label sets. */
const METRICS = ['sticky_cache_size', 'sticky_cache_total_forced_eviction', 'sticky_cache_miss', 'sticky_cache_hit', 'workflow_task_execution_latency_seconds_count', 'workflow_task_replay_latency_seconds_count'] as const;
type Metric = (typeof METRICS)[number];
const scrape = (url: string) => scrapeSdkMetrics(url, METRICS);

interface WatchedWorker {
  stop: () => Promise<void>;
  readonly pid: number | undefined;
  restarts: Array<{ atMs: number; code: number | null; signal: string | null }>;
  rssMax: number;
  rssSamples: Array<[number, number]>;
  /** Counters summed over the worker's lives; the cache size as last seen. */
  metrics: () => Partial<Record<Metric, number>>;
}

function watchWorker(env: Record<string, string>, cgroup: MemoryCgroup | undefined, metricsUrl: string, t0: () => number): WatchedWorker {
  let child: ChildProcess;
  let stopping = false;
  const finished: Partial<Record<Metric, number>> = {};
  let current: Partial<Record<Metric, number>> = {};
  const watched: WatchedWorker = {
    restarts: [],
    rssMax: 0,
    rssSamples: [],
    get pid() {
      return child.pid;
    },
    metrics: () => {
      const sum: Partial<Record<Metric, number>> = {};
      for (const k of METRICS) sum[k] = k === 'sticky_cache_size' ? current[k] : (finished[k] ?? 0) + (current[k] ?? 0);
      return sum;
    },
    stop: async () => {
      stopping = true;
      clearInterval(sampler);
      clearInterval(scraper);
      await stopProcess(child);
    },
  };
  const start = () => {
    child = spawnVidproc('worker', env, cgroup?.wrap);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      watched.restarts.push({ atMs: performance.now() - t0(), code, signal });
      for (const k of METRICS) if (k !== 'sticky_cache_size') finished[k] = (finished[k] ?? 0) + (current[k] ?? 0);
      current = {};
      logger.warn({ code, signal }, 'the worker exited; starting it again (as the kubelet would)');
      setTimeout(start, 1000);
    });
  };
  start();
  const sampler = setInterval(() => {
    void rssOf(child.pid).then((rss) => {
      if (Number.isNaN(rss)) return;
      watched.rssMax = Math.max(watched.rssMax, rss);
      watched.rssSamples.push([Math.round(performance.now() - t0()), rss]);
    });
  }, 1000);
  const scraper = setInterval(() => {
    void scrape(metricsUrl).then((m) => (current = m), () => undefined);
  }, 2000);
  onStop(() => watched.stop());
  return watched;
}

// --- the floor --------------------------------------------------------------------------------------

async function measureFloorStarts(address: string, videos: number): Promise<number> {
  const taskQueue = `bench-floor-open-${run}`;
  let started = 0;
  const sinks: InjectedSinks<FloorSinks> = { floor: { started: { fn: () => void started++, callDuringReplay: false } } };
  const { client, close } = await startFloorWorker(address, taskQueue, sinks);
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SIGNALLERS }, async () => {
        for (let i = next++; i < videos; i = next++) {
          await client.workflow.signalWithStart<typeof floorOpenWorkflow, [{ type: string }]>('floorOpenWorkflow', {
            workflowId: `floor-open-${run}-${i}`,
            taskQueue,
            signal: floorEventSignal,
            signalArgs: [{ type: EVENT_TYPES.uploaded }],
          });
        }
      }),
    );
    const signalledMs = performance.now() - t0;
    await until('floor workflows', () => Promise.resolve(started >= videos), TIMEOUT_MS);
    const ms = performance.now() - t0;
    logger.warn({ videos, signalledMs, ms }, 'floor done');
    return ms;
  } finally {
    await close();
  }
}

// --- the burst --------------------------------------------------------------------------------------

const uploaded = (videoId: string) =>
  ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'vidproc-bench',
    type: EVENT_TYPES.uploaded,
    subject: videoId,
    time: new Date().toISOString(),
    data: { userId: 'bench-user', fileName: `${videoId}.mp4` },
  }) as VideoEventInput;

interface Reads {
  latencies: number[];
  failures: number;
  sources: Record<string, number>;
}
const newReads = (): Reads => ({ latencies: [], failures: 0, sources: {} });
const readSummary = (r: Reads) => {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return `${sorted.length} answered, ${r.failures} failed; p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(0)} ms (from ${Object.entries(r.sources).map(([k, v]) => `${k} ${v}`).join(', ')})`;
};

async function main() {
  if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: npm run bench:burst builds it`);
  const results: string[][] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), videos: VIDEOS, limit: LIMIT, sizing: SIZING, stallAfter: STALL_AFTER };

  // Bridge and API first (and the dev server); the worker after the floor, in its cgroup.
  const { address, api, env: stackEnv } = await startStack(['bridge', 'api']);
  const floorMs = PHASES.includes('floor') ? await measureFloorStarts(address, VIDEOS) : undefined;
  if (floorMs !== undefined) {
    results.push(['floor: start N trivial workflows that stay open (signal-with-start, 64 at once)', `${secs(floorMs)} (${(VIDEOS / (floorMs / 1000)).toFixed(1)}/s)`]);
    summary.floorMs = floorMs;
  }
  if (!PHASES.includes('burst')) return finish(results, summary);

  const cgroup = LIMIT_BYTES === undefined ? undefined : await makeMemoryCgroup(LIMIT_BYTES);
  const metricsPort = await freePort();
  const workerEnv: Record<string, string> = {
    ...stackEnv,
    STUCK_UPLOADED_AFTER: STALL_AFTER,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
  };
  const nodeOptions: string[] = [];
  if (SIZING === 'configured') {
    if (LIMIT_BYTES !== undefined) workerEnv.WORKER_MEMORY_LIMIT = String(LIMIT_BYTES);
    nodeOptions.push('--max-old-space-size-percentage=25'); // what the chart sets
  } else {
    workerEnv.WORKER_MEMORY_LIMIT = 'none';
  }
  for (const pair of (process.env.BENCH_WORKER_ENV ?? '').split(',').filter(Boolean)) {
    const [k, ...v] = pair.split('=');
    workerEnv[k!] = v.join('=');
  }
  if (CPU_PROF) nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${dirname(logPath)}/vidproc-bench-${run}-prof`);
  if (nodeOptions.length) workerEnv.NODE_OPTIONS = [process.env.NODE_OPTIONS ?? '', ...nodeOptions].join(' ').trim();
  const held = cgroup ? `${cgroup.kind} memory limit ${mib(LIMIT_BYTES!)} (${cgroup.dir})` : LIMIT_BYTES ? `no cgroup could be made: RSS sampled against ${mib(LIMIT_BYTES)}` : 'no limit';
  const sizingOf = () => {
    try {
      return sizeWorker({
        tracing: tracesEndpoint(workerEnv) !== undefined,
        memoryLimitBytes: SIZING === 'configured' ? LIMIT_BYTES : undefined,
        maxCachedWorkflows: workerEnv.WORKER_MAX_CACHED_WORKFLOWS ? Number(workerEnv.WORKER_MAX_CACHED_WORKFLOWS) : undefined,
        maxConcurrentWorkflowTasks: workerEnv.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ? Number(workerEnv.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS) : undefined,
        workflowThreads: workerEnv.WORKER_WORKFLOW_THREADS ? Number(workerEnv.WORKER_WORKFLOW_THREADS) : undefined,
      });
    } catch (err) {
      return String(err);
    }
  };
  summary.worker = { held, sizing: sizingOf(), env: Object.fromEntries(Object.entries(workerEnv).filter(([k]) => /^(WORKER_|NODE_OPTIONS|STUCK_)/.test(k))) };
  process.stdout.write(`worker: ${held}; ${JSON.stringify(summary.worker)}\n`);

  let t0 = performance.now();
  const worker = watchWorker(workerEnv, cgroup, `http://127.0.0.1:${metricsPort}/metrics`, () => t0);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  onStop(() => connection.close());
  await until('worker', async () => {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
      taskQueueType: 1,
    });
    return (pollers?.length ?? 0) > 0;
  });
  await sleep(2000);
  const idleRss = await rssOf(worker.pid);

  const db = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  onStop(() => db.end());
  const prefix = `burst-${run}-`;
  const countIn = async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM videos WHERE video_id LIKE $1`, [`${prefix}%`])).rows[0]!.n);
  const token = await signDevToken(config.AUTH_JWT_SECRET!, 'bench-user');
  const read = async (reads: Reads, id: string) => {
    const began = performance.now();
    try {
      const res = await fetch(`${api.url}/v1/videos/${id}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(String(res.status));
      reads.latencies.push(performance.now() - began);
      const source = res.headers.get('x-status-source') ?? 'unknown';
      reads.sources[source] = (reads.sources[source] ?? 0) + 1;
    } catch {
      reads.failures++;
    }
  };

  // 2. the burst
  const publisher = await createEventPublisher(config.AMQP_URL, config);
  onStop(async () => {
    await publisher.deleteTopology();
    await publisher.close();
  });
  const ids = Array.from({ length: VIDEOS }, (_, i) => `${prefix}${i}`);
  const burstReads = newReads();
  const progress: Array<[number, number]> = [];
  let inPostgres = 0;
  t0 = performance.now();
  for (const id of ids) publisher.publish(uploaded(id));
  await publisher.confirm();
  const publishedMs = performance.now() - t0;
  const readsDuring = (async () => {
    while (inPostgres < VIDEOS && performance.now() - t0 < TIMEOUT_MS) {
      await sleep(5000);
      if (inPostgres > 0) {
        const some = await db.query<{ video_id: string }>(`SELECT video_id FROM videos WHERE video_id LIKE $1 ORDER BY random() LIMIT 4`, [`${prefix}%`]);
        await Promise.all(some.rows.map((row) => read(burstReads, row.video_id)));
      }
    }
  })();
  let lastLog = 0;
  while (inPostgres < VIDEOS && performance.now() - t0 < TIMEOUT_MS) {
    await sleep(1000);
    inPostgres = await countIn().catch(() => inPostgres);
    const at = performance.now() - t0;
    progress.push([Math.round(at), inPostgres]);
    if (at - lastLog > 30_000) {
      lastLog = at;
      const m = worker.metrics();
      process.stdout.write(
        `  ${secs(at)}: ${inPostgres}/${VIDEOS} in Postgres; worker RSS ${mib(await rssOf(worker.pid))} (max ${mib(worker.rssMax)}), restarts ${worker.restarts.length}, cache ${m.sticky_cache_size ?? '?'}, evictions ${m.sticky_cache_total_forced_eviction ?? '?'}, misses ${m.sticky_cache_miss ?? '?'}\n`,
      );
    }
  }
  const allInMs = performance.now() - t0;
  await readsDuring;
  const burstMetrics = worker.metrics();
  const rssMaxBurst = worker.rssMax;
  const done = inPostgres >= VIDEOS;
  results.push(
    ['worker held by', held],
    ['worker sizing', JSON.stringify(summary.worker)],
    ['burst: N uploaded events published at once (confirmed by the broker)', `${VIDEOS} in ${secs(publishedMs)}`],
    [
      'burst: until all N rows in Postgres',
      done ? `${secs(allInMs)} (${(VIDEOS / (allInMs / 1000)).toFixed(1)} videos/s)${floorMs ? `; ${(allInMs / floorMs).toFixed(2)}× the floor` : ''}` : `NOT DONE: ${inPostgres}/${VIDEOS} after ${secs(allInMs)}`,
    ],
    ['worker RSS: idle (after start) / max during the burst', `${mib(idleRss)} / ${mib(rssMaxBurst)}`],
    ['worker restarts (exits during the run)', worker.restarts.length ? JSON.stringify(worker.restarts) : '0'],
    ['workflow cache after the burst: size / forced evictions / misses (replays) / hits', `${burstMetrics.sticky_cache_size ?? '?'} / ${burstMetrics.sticky_cache_total_forced_eviction ?? '?'} / ${burstMetrics.sticky_cache_miss ?? '?'} / ${burstMetrics.sticky_cache_hit ?? '?'}`],
    ['workflow tasks executed during the burst (replay-latency samples)', `${burstMetrics.workflow_task_execution_latency_seconds_count ?? '?'} (${burstMetrics.workflow_task_replay_latency_seconds_count ?? '?'})`],
    ['reads during the burst (GET of videos already in Postgres)', readSummary(burstReads)],
  );
  Object.assign(summary, {
    publishedMs,
    allInMs: done ? allInMs : null,
    inPostgres,
    vsFloor: done && floorMs ? allInMs / floorMs : null,
    idleRss,
    rssMaxBurst,
    restarts: worker.restarts,
    burstMetrics,
    burstReadsP99: percentile([...burstReads.latencies].sort((a, b) => a - b), 99),
    burstReadFailures: burstReads.failures,
  });

  // 3. all N open: the stall timers come due; reads meanwhile
  if (done) {
    const firstDue = Number((await db.query<{ t: string }>(`SELECT extract(epoch FROM min(deadline)) * 1000 AS t FROM videos WHERE video_id LIKE $1`, [`${prefix}%`])).rows[0]!.t);
    const windowEnd = Math.max(Date.now(), firstDue) + TIMER_WINDOW_S * 1000;
    const openReads = newReads();
    process.stdout.write(`  all in; waiting for the first stall timers (${new Date(firstDue).toISOString()}) and ${TIMER_WINDOW_S} s after them\n`);
    while (Date.now() < windowEnd) {
      await Promise.all(Array.from({ length: 4 }, () => read(openReads, ids[Math.floor(Math.random() * VIDEOS)]!)));
      await sleep(2000);
    }
    await sleep(5000); // the last alerts' projection writes
    const timers = await db.query(
      `SELECT count(*) FILTER (WHERE stalled) AS fired,
              count(*) FILTER (WHERE NOT stalled AND deadline < now() - interval '5 seconds') AS overdue,
              percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM last_alert_at - stalled_since) * 1000) FILTER (WHERE stalled) AS late,
              max(extract(epoch FROM last_alert_at - stalled_since) * 1000) FILTER (WHERE stalled) AS late_max
         FROM videos WHERE video_id LIKE $1`,
      [`${prefix}%`],
    );
    const t = timers.rows[0] as { fired: string; overdue: string; late: number[] | null; late_max: number | null };
    const m = worker.metrics();
    results.push(
      [`open: stall timers (STUCK_UPLOADED_AFTER ${STALL_AFTER}) due so far: fired / overdue`, `${t.fired} / ${t.overdue}`],
      ['open: stall timers, fired after their deadline p50 / p99 / max', t.late ? `${t.late[0]!.toFixed(0)} / ${t.late[1]!.toFixed(0)} / ${Number(t.late_max).toFixed(0)} ms` : 'none fired'],
      ['open: reads while all N are open', readSummary(openReads)],
      ['worker RSS max, whole run', mib(worker.rssMax)],
      ['workflow cache at the end: size / forced evictions / misses / hits', `${m.sticky_cache_size ?? '?'} / ${m.sticky_cache_total_forced_eviction ?? '?'} / ${m.sticky_cache_miss ?? '?'} / ${m.sticky_cache_hit ?? '?'}`],
    );
    Object.assign(summary, { timers: t, openReadsP99: percentile([...openReads.latencies].sort((a, b) => a - b), 99), openReadFailures: openReads.failures, rssMax: worker.rssMax, endMetrics: m });
  }
  if (cgroup) {
    const [oomKills, peak] = [await cgroup.oomKills(), await cgroup.peakBytes()];
    results.push(['cgroup: OOM kills / peak usage (RSS + page cache)', `${oomKills} / ${mib(peak)}`]);
    Object.assign(summary, { oomKills, cgroupPeak: peak });
  }

  // 4. the cost of an eviction: one video's history, fetched and replayed
  const handle = client.workflow.getHandle(`video-${ids[0]}`);
  const fetchBegan = performance.now();
  const history = await handle.fetchHistory();
  const fetchMs = performance.now() - fetchBegan;
  const events = history.events ?? [];
  const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes != null).length;
  const replayOnce = async (n: number) => {
    const began = performance.now();
    const replays = Worker.runReplayHistories({ workflowBundle: { codePath: bundlePath } }, Array.from({ length: n }, (_, i) => ({ workflowId: `replay-${i}`, history })));
    for await (const result of replays) if (result.error) throw result.error;
    return performance.now() - began;
  };
  const one = await replayOnce(1);
  const many = await replayOnce(REPLAYS + 1);
  const replayMs = (many - one) / REPLAYS;
  const byType: Record<string, number> = {};
  for (const e of events) {
    const name = (proto.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    byType[name] = (byType[name] ?? 0) + 1;
  }
  results.push(
    ['a video (uploaded, open) history: events / workflow tasks', `${events.length} / ${workflowTasks} (${Object.entries(byType).map(([k, v]) => `${k} ${v}`).join(', ')})`],
    ['eviction cost: fetch its history / replay it (per video)', `${fetchMs.toFixed(1)} ms / ${replayMs.toFixed(2)} ms (${REPLAYS} replays)`],
  );
  Object.assign(summary, { historyEvents: events.length, workflowTasks, historyFetchMs: fetchMs, replayMs });

  // The RSS series, for a chart
  const seriesPath = `${dirname(logPath)}/vidproc-bench-${run}-rss.csv`;
  await writeFile(seriesPath, ['ms,rss_bytes', ...worker.rssSamples.map(([a, b]) => `${a},${b}`)].join('\n'));
  await writeFile(`${dirname(logPath)}/vidproc-bench-${run}-progress.csv`, ['ms,in_postgres', ...progress.map(([a, b]) => `${a},${b}`)].join('\n'));
  results.push(['RSS series / progress', seriesPath]);
  await worker.stop();
  if (CPU_PROF) results.push(['worker CPU profile', `${dirname(logPath)}/vidproc-bench-${run}-prof`]);
  return finish(results, summary);
}

async function finish(results: string[][], summary: Record<string, unknown>) {
  process.stdout.write(`\nvidproc burst bench (${VIDEOS} videos; process logs: ${logPath})\n\n${markdownTable(results)}\n\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(summary)}\n`);
  // The floor's and the burst's workflows stay open on the dev server, which stops with the bench.
  await stopAll();
}

// Stopped early (Ctrl-C, timeout): stop the processes and remove the cgroup on the way out.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}
runBench('burst bench', main);

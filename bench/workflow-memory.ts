/**
 * `npm run bench:workflow-memory`: what one cached video workflow costs the worker, per workflow
 * bundle (plain, and the traced twin a worker with tracing on runs). The figure the worker's
 * sizing divides its memory by (src/config/worker-sizing.ts).
 *
 * Each round starts, for each bundle (alternating which goes first), a worker process of its own:
 * the production worker (`buildVideoWorker`, the prebuilt bundles of scripts/bundle-workflows.mjs,
 * tracing on through an OTLP sink for the traced one) with a cache larger than it will need and a
 * large workflow-thread heap, so nothing is evicted. It opens a few videos to warm up, then opens
 * more until BENCH_WM_COUNTS (cumulative, e.g. 200, 400, 800) are open and cached (one `uploaded`
 * event each by default, signal-with-start as the bridge sends it; each stays open, as an uploaded video does).
 * At each count, once the cache holds them all and no workflow task is running, it collects the
 * garbage of the workflow thread (through the inspector's NodeWorker domain) and reads its heap,
 * and the process's RSS. Per workflow = (at N − at the warm-up) / N.
 *
 * Knobs: BENCH_WM_COUNTS (200,400,800), BENCH_WM_BUNDLES (plain,traced), BENCH_WM_ROUNDS (3),
 * BENCH_WM_WARMUP (20 videos), BENCH_WM_EVENTS (the events each video is sent, one signal each:
 * `uploaded`, or e.g. `uploaded,started,completed` as `npm run bench`'s burst sends them). Needs `npm run build` and `node scripts/bundle-workflows.mjs` (the
 * npm script runs both).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/env.js';
import { parseVideoEvent } from '../src/domain/event-schemas.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import { createLogger } from '../src/logger.js';
import { traceProcess } from '../src/processes/tracing.js';
import { buildVideoWorker } from '../src/processes/worker.js';
import { connectClient } from '../src/temporal/connection.js';
import { createVideoGateway } from '../src/temporal/video-gateway.js';
import { createEventPublisher } from '../test/support/event-publisher.js';
import { benchEnv, config, freePort, int, logger, logPath, markdownTable, onStop, run, runBench, scrapeSdkMetrics, startStack, stopAll, stopProcess } from './stack.js';

const COUNTS = (process.env.BENCH_WM_COUNTS ?? '200,400,800').split(',').map(Number).sort((a, b) => a - b);
const BUNDLES = (process.env.BENCH_WM_BUNDLES ?? 'plain,traced').split(',').map((b) => b.trim());
const ROUNDS = int('BENCH_WM_ROUNDS', 3);
const WARMUP = int('BENCH_WM_WARMUP', 20);
/** What each video is sent (`uploaded`: it stays open; with `completed` it lingers, cached, and then closes). */
const EVENT_DATA: Record<string, (i: number) => unknown> = {
  [EVENT_TYPES.uploaded]: (i) => ({ userId: 'bench-user', fileName: `${i}.mp4` }),
  [EVENT_TYPES.started]: () => ({}),
  [EVENT_TYPES.progress]: () => ({ percent: 50 }),
  [EVENT_TYPES.completed]: (i) => ({ imagesUrl: `s3://bench/${i}.zip`, frameCount: 100 }),
};
const EVENTS = (process.env.BENCH_WM_EVENTS ?? EVENT_TYPES.uploaded).split(',').map((e) => e.trim());
for (const type of EVENTS) if (!(type in EVENT_DATA)) throw new Error(`BENCH_WM_EVENTS: one of ${Object.keys(EVENT_DATA).join(', ')}, not ${type}`);
const SIGNALLERS = 64; // the bridge's prefetch
const MiB = 2 ** 20;
const bundlePath = fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url));
const RESULT = 'WM_RESULT ';

/** One reading of a worker with `open` videos cached. */
interface Reading {
  open: number;
  cached: number;
  /** The workflow thread(s)' V8 heap in use after a full collection. */
  workflowHeap: number;
  /** The main thread's heap in use after a full collection. */
  mainHeap: number;
  rss: number;
}

// --- the worker under measurement (a child process) --------------------------------------------------

/** The worker threads of this process, through the inspector: collect their garbage, read their heaps. */
async function inspectWorkerThreads() {
  const session = new Session();
  session.connect();
  const threads = new Set<string>();
  const replies = new Map<number, (result: unknown) => void>();
  let nextId = 0;
  session.on('NodeWorker.attachedToWorker', ({ params }) => void threads.add(params.sessionId));
  session.on('NodeWorker.detachedFromWorker', ({ params }) => void threads.delete(params.sessionId));
  session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
    const message = JSON.parse(params.message) as { id?: number; result?: unknown };
    if (message.id !== undefined) replies.get(message.id)?.(message.result);
    if (message.id !== undefined) replies.delete(message.id);
  });
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const call = <T>(sessionId: string, method: string) =>
    new Promise<T>((resolve) => {
      const id = ++nextId;
      replies.set(id, resolve as (result: unknown) => void);
      void session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method }) });
    });
  return {
    count: () => threads.size,
    /** The heap in use of every worker thread after two full collections, and the main thread's. */
    async heapsAfterGc(): Promise<{ workflowHeap: number; mainHeap: number }> {
      let workflowHeap = 0;
      for (const thread of threads) {
        await call(thread, 'HeapProfiler.collectGarbage');
        await call(thread, 'HeapProfiler.collectGarbage');
        workflowHeap += (await call<{ usedSize: number }>(thread, 'Runtime.getHeapUsage')).usedSize;
      }
      await session.post('HeapProfiler.collectGarbage');
      return { workflowHeap, mainHeap: process.memoryUsage().heapUsed };
    },
  };
}

async function measureWorker(): Promise<void> {
  const childConfig = loadConfig(process.env);
  const childLogger = createLogger(childConfig.LOG_LEVEL);
  const inspector = await inspectWorkerThreads();
  const tracing = await traceProcess('worker', childLogger);
  const { worker, close } = await buildVideoWorker(childConfig, childLogger);
  const running = worker.run();
  const { connection, client } = await connectClient(childConfig.temporal);
  const gateway = createVideoGateway(client, { taskQueue: childConfig.temporal.taskQueue });
  const metricsUrl = `http://${childConfig.TEMPORAL_METRICS_ADDRESS!}/metrics`;
  const prefix = `wm-${randomUUID().slice(0, 8)}-`;
  let opened = 0;

  const open = async (upTo: number) => {
    let next = opened;
    await Promise.all(
      Array.from({ length: SIGNALLERS }, async () => {
        for (let i = next++; i < upTo; i = next++) {
          // One signal per event, in order: an activation each, as when the events come apart.
          for (const type of EVENTS) {
            const parsed = parseVideoEvent({
              specversion: '1.0',
              id: randomUUID(),
              source: 'vidproc-bench',
              type,
              subject: `${prefix}${i}`,
              time: new Date().toISOString(),
              data: EVENT_DATA[type]!(i),
            });
            if (!parsed.ok) throw new Error(parsed.reason);
            await gateway.sendEvents([parsed.event]);
          }
        }
      }),
    );
    opened = upTo;
  };
  /** Until the cache holds every open video and no workflow task has run for two seconds. */
  const settle = async (): Promise<number> => {
    let last = NaN;
    let quietFor = 0;
    for (;;) {
      await sleep(1000);
      const m = await scrapeSdkMetrics(metricsUrl, ['sticky_cache_size', 'workflow_task_execution_latency_seconds_count'] as const);
      const tasks = m.workflow_task_execution_latency_seconds_count ?? NaN;
      quietFor = tasks === last ? quietFor + 1 : 0;
      last = tasks;
      if ((m.sticky_cache_size ?? 0) >= opened && quietFor >= 2) return m.sticky_cache_size!;
    }
  };
  const read = async (): Promise<Reading> => {
    const cached = await settle();
    const heaps = await inspector.heapsAfterGc();
    await sleep(500);
    return { open: opened, cached, ...heaps, rss: process.memoryUsage().rss };
  };

  await open(WARMUP);
  const report = (reading: Reading) => process.stdout.write(`${RESULT}${JSON.stringify({ ...reading, threads: inspector.count() })}\n`);
  report(await read());
  for (const count of COUNTS) {
    await open(WARMUP + count);
    report(await read());
  }
  worker.shutdown();
  await running;
  await close();
  await connection.close();
  await tracing.stop();
}

// --- the rounds (this process) -------------------------------------------------------------------------

function runChild(bundle: string, env: Record<string, string>): Promise<Reading[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, ...env, BENCH_WM_CHILD: bundle }, stdio: ['ignore', 'pipe', 'inherit'] });
    const readings: Reading[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith(RESULT)) continue;
        const reading = JSON.parse(line.slice(RESULT.length)) as Reading;
        readings.push(reading);
        process.stdout.write(`  ${bundle}: ${reading.open} open, ${reading.cached} cached: workflow heap ${(reading.workflowHeap / MiB).toFixed(1)} MiB, RSS ${(reading.rss / MiB).toFixed(0)} MiB\n`);
      }
    });
    onStop(() => stopProcess(child));
    child.once('exit', (code) => (code === 0 ? resolve(readings) : reject(new Error(`the ${bundle} worker exited with ${code} (see ${logPath})`))));
  });
}

const stats = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `${mean.toFixed(2)} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
};

async function main() {
  if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: npm run bench:workflow-memory builds it`);
  const { address, env } = await startStack([]);
  const publisher = await createEventPublisher(config.AMQP_URL, config);
  onStop(async () => {
    await publisher.deleteTopology();
    await publisher.close();
  });
  const sinkPort = await freePort();
  const sink = spawn(process.execPath, [fileURLToPath(new URL('./otlp-sink.mjs', import.meta.url)), String(sinkPort)], { stdio: 'ignore' });
  onStop(() => stopProcess(sink));

  const readings: Record<string, Reading[][]> = Object.fromEntries(BUNDLES.map((b) => [b, []]));
  const largest = WARMUP + COUNTS.at(-1)!;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? BUNDLES : [...BUNDLES].reverse();
    for (const bundle of order) {
      const metricsPort = await freePort();
      const childEnv: Record<string, string> = {
        ...env,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_TASK_QUEUE: `${benchEnv.TEMPORAL_TASK_QUEUE}-${bundle}-${round}`,
        WORKFLOW_BUNDLE_PATH: bundlePath,
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        METRICS_PORT: 'off',
        // Nothing evicted, nothing due: every video stays cached and idle while it is measured.
        WORKER_MEMORY_LIMIT: 'none',
        WORKER_MAX_CACHED_WORKFLOWS: String(largest + 10),
        WORKER_WORKFLOW_HEAP: '6Gi',
        STUCK_UPLOADED_AFTER: '2h',
      };
      if (bundle === 'traced') childEnv.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sinkPort}`;
      process.stdout.write(`round ${round + 1}/${ROUNDS}, ${bundle} bundle\n`);
      readings[bundle]!.push(await runChild(bundle, childEnv));
    }
  }

  const rows: string[][] = [];
  const summary: Record<string, unknown> = { date: new Date().toISOString(), run, counts: COUNTS, rounds: ROUNDS, warmup: WARMUP, events: EVENTS };
  for (const bundle of BUNDLES) {
    const rounds = readings[bundle]!;
    rows.push([`${bundle}: workflow-thread heap with ${WARMUP} open (MiB)`, stats(rounds.map((r) => r[0]!.workflowHeap / MiB))]);
    const perBundle: Record<string, { heapMiB: number[]; rssMiB: number[] }> = {};
    for (const [i, count] of COUNTS.entries()) {
      const heap = rounds.map((r) => (r[i + 1]!.workflowHeap - r[0]!.workflowHeap) / count / MiB);
      const rss = rounds.map((r) => (r[i + 1]!.rss - r[0]!.rss) / count / MiB);
      perBundle[count] = { heapMiB: heap, rssMiB: rss };
      rows.push([`${bundle}: per workflow, ${count} more open: workflow-thread heap / process RSS (MiB; mean (min–max) of ${ROUNDS})`, `${stats(heap)} / ${stats(rss)}`]);
    }
    summary[bundle] = { readings: rounds, perWorkflow: perBundle };
  }
  process.stdout.write(`\nvidproc workflow memory (${ROUNDS} rounds, events ${EVENTS.join(',')}; process logs: ${logPath})\n\n${markdownTable(rows)}\n\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(summary)}\n`);
  await stopAll();
}

if (process.env.BENCH_WM_CHILD) {
  measureWorker().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.fatal({ err }, 'workflow memory: the worker failed');
      process.exit(1);
    },
  );
} else {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  runBench('workflow memory bench', main);
}

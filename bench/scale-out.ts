/**
 * `npm run bench:scale-out`: the pipeline's burst with more than one worker and bridge (issue 9,
 * part 5). For each shape in BENCH_SCALE_OUT (default `1,2`: 1 worker + 1 bridge, then 2 workers +
 * 2 bridges), on a fresh Temporal dev server (unless TEMPORAL_ADDRESS is set), with `vidproc
 * worker` and `vidproc bridge` started from dist/main.js as processes of their own (bench/stack.ts):
 * publishes uploaded, started and completed for BENCH_VIDEOS (2000) videos at once and times it
 * until every one is completed in Postgres (what the API reads for a finished video; Postgres is
 * polled rather than the API, so that no API process competes for the CPU). Reports videos/s per
 * shape, the share of the machine's CPU that was busy meanwhile, the CPU seconds the workers and
 * the bridges used, and the history lines written (3 per video when no event was applied twice).
 * BENCH_ROUNDS (1) repeats the shapes, alternating, to see the spread.
 *
 * On a machine with few cores the extra processes compete with the Temporal server, Postgres and
 * each other for the same CPU: read the figures with the busy share next to them.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'amqplib';
import pg from 'pg';
import { topologyNames } from '../src/amqp/topology.js';
import { migrateDatabase } from '../src/db/index.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';
import { connectClient } from '../src/temporal/connection.js';
import { createEventPublisher } from '../test/support/event-publisher.js';
import { config, cpuSeconds, int, logPath, markdownTable, run, runBench, startStack, stopAll, until } from './stack.js';

const VIDEOS = int('BENCH_VIDEOS', 2000);
const ROUNDS = int('BENCH_ROUNDS', 1);
const SHAPES = (process.env.BENCH_SCALE_OUT ?? '1,2').split(',').map((n) => {
  const count = Number.parseInt(n.trim(), 10);
  if (!(count >= 1)) throw new Error(`BENCH_SCALE_OUT: "${n}" is not a number of workers and bridges`);
  return count;
});
const DONE_TIMEOUT_MS = 15 * 60_000;

const event = (videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>) =>
  ({ specversion: '1.0', id: randomUUID(), source: 'vidproc-bench', type, subject: videoId, time: new Date().toISOString(), data }) as VideoEventInput;

/** The machine's CPU time so far (all cores), busy and total, in clock ticks (Linux /proc/stat). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3]! + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

interface Measured {
  shape: number;
  videosPerS: number;
  elapsedS: number;
  busyShare: number;
  workerCpuS: number;
  bridgeCpuS: number;
  lines: number;
}

async function measure(shape: number, round: number, db: pg.Client): Promise<Measured> {
  const { address, processes } = await startStack([...Array<string>(shape).fill('worker'), ...Array<string>(shape).fill('bridge')]);
  const pidsOf = (command: string) => processes.filter((p) => p.command === command).map((p) => p.pid);
  const cpuOf = async (command: string) => (await Promise.all(pidsOf(command).map(cpuSeconds))).reduce((a, b) => a + b, 0);

  // Ready: each worker polls the task queue, each bridge consumes the queue.
  const { connection } = await connectClient({ ...config.temporal, address });
  await until(`${shape} workers`, async () => {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: { name: config.TEMPORAL_TASK_QUEUE },
      taskQueueType: 1, // workflow tasks
    });
    return new Set((pollers ?? []).map((p) => p.identity)).size >= shape;
  });
  await connection.close();
  const publisher = await createEventPublisher(config.AMQP_URL, config);
  const amqp = await connect(config.AMQP_URL);
  await until(`${shape} bridges`, async () => {
    const channel = await amqp.createChannel();
    try {
      return (await channel.checkQueue(topologyNames(config).queue)).consumerCount >= shape;
    } finally {
      await channel.close();
    }
  });
  await amqp.close();

  const prefix = `bench-so-${run}-r${round}-x${shape}`;
  const done = async () =>
    Number((await db.query<{ n: string }>(`select count(*) as n from videos where video_id like $1 and status = 'completed'`, [`${prefix}-%`])).rows[0]!.n);

  const cpuBefore = { machine: await machineCpu(), worker: await cpuOf('worker'), bridge: await cpuOf('bridge') };
  const started = performance.now();
  for (let i = 0; i < VIDEOS; i++) {
    const id = `${prefix}-${i}`;
    publisher.publish(event(id, EVENT_TYPES.uploaded, { userId: 'bench-user', fileName: `${id}.mp4` }));
    publisher.publish(event(id, EVENT_TYPES.started, {}));
    publisher.publish(event(id, EVENT_TYPES.completed, { imagesUrl: `s3://bench/${id}.zip`, frameCount: 100 }));
  }
  await publisher.confirm();
  const deadline = Date.now() + DONE_TIMEOUT_MS;
  while ((await done()) < VIDEOS) {
    if (Date.now() > deadline) throw new Error(`not all ${VIDEOS} videos completed within ${DONE_TIMEOUT_MS} ms (see ${logPath})`);
    await sleep(100);
  }
  const elapsedS = (performance.now() - started) / 1000;
  const machine = await machineCpu();
  const result: Measured = {
    shape,
    videosPerS: VIDEOS / elapsedS,
    elapsedS,
    busyShare: (machine.busy - cpuBefore.machine.busy) / (machine.total - cpuBefore.machine.total),
    workerCpuS: (await cpuOf('worker')) - cpuBefore.worker,
    bridgeCpuS: (await cpuOf('bridge')) - cpuBefore.bridge,
    lines: 0,
  };
  await publisher.close();
  await stopAll();
  // After the stop: every history line the workers wrote is in.
  result.lines = Number((await db.query<{ n: string }>(`select count(*) as n from video_events where video_id like $1`, [`${prefix}-%`])).rows[0]!.n);
  return result;
}

async function main() {
  await migrateDatabase(config.DATABASE_URL); // creates the database if it is missing
  const db = new pg.Client({ connectionString: config.DATABASE_URL });
  await db.connect();
  const results: Measured[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order from round to round, so neither shape always runs on a warmer machine.
      for (const shape of round % 2 === 0 ? SHAPES : SHAPES.toReversed()) {
        results.push(await measure(shape, round, db));
        const r = results.at(-1)!;
        process.stdout.write(`${r.shape} worker(s) + ${r.shape} bridge(s): ${r.videosPerS.toFixed(1)} videos/s (${r.elapsedS.toFixed(1)} s)\n`);
      }
    }
  } finally {
    const publisher = await createEventPublisher(config.AMQP_URL, config);
    await publisher.deleteTopology();
    await publisher.close();
    await db.end();
  }

  const rows = results.map((r) => [
    `${r.shape} worker${r.shape > 1 ? 's' : ''} + ${r.shape} bridge${r.shape > 1 ? 's' : ''}`,
    `${r.videosPerS.toFixed(1)} videos/s (${r.elapsedS.toFixed(1)} s); CPU ${(r.busyShare * 100).toFixed(0)} % busy of ${cpus().length} cores; ` +
      `workers ${r.workerCpuS.toFixed(1)} CPU s, bridges ${r.bridgeCpuS.toFixed(1)} CPU s; ${r.lines} history lines (${3 * VIDEOS} events)`,
  ]);
  process.stdout.write(`\nvidproc scale-out bench: ${VIDEOS} videos at once, 3 events each (process logs: ${logPath})\n\n${markdownTable(rows)}\n\n`);
  process.stdout.write(`BENCH_JSON ${JSON.stringify({ date: new Date().toISOString(), bench: 'scale-out', videos: VIDEOS, cores: cpus().length, results })}\n`);
}

runBench('bench:scale-out', main);

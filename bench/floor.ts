/**
 * Temporal's floor, measured in the same run, on the same server and machine as vidproc: a
 * trivial workflow (bench/floor-workflows.ts) on a worker of its own, fed the same three signals
 * per video by a client the way the bridge feeds vidproc's (signal-with-start, one video's
 * events in order, many videos at once), and queried at the same concurrency as the API's reads.
 * vidproc's figures are then stated as ratios of these.
 */
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import { EVENT_TYPES } from '../src/domain/events.js';
import { floorEventSignal, floorStatusQuery, type FloorSinks, type floorWorkflow } from './floor-workflows.js';
import { config, cpuMeter, percentile, run } from './stack.js';

export interface FloorResult {
  videosPerS: number;
  queriesPerS: number;
  queryP99Ms: number;
  /** CPU seconds of the burst: the dev server's, and this process's (the floor's worker and its client). */
  burstCpuS: Record<string, number>;
}

/** In-flight signal-with-start chains at once: what the bridge's prefetch allows it. */
const SIGNALLERS = config.AMQP_PREFETCH;

/**
 * A worker of the floor's trivial workflows (bench/floor-workflows.ts) on `taskQueue`, in this
 * process, and a client to drive them; `close` stops and closes both.
 */
export async function startFloorWorker(address: string, taskQueue: string, sinks?: InjectedSinks<FloorSinks>) {
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./floor-workflows.ts', import.meta.url)),
    ...(sinks && { sinks }),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  return {
    client,
    close: async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export async function measureFloor(address: string, options: { videos: number; connections: number; durationS: number; server: number | undefined }): Promise<FloorResult> {
  const taskQueue = `bench-floor-${run}`;
  const { client, close } = await startFloorWorker(address, taskQueue);
  try {
    const start = (id: string, type: string) =>
      client.workflow.signalWithStart<typeof floorWorkflow, [{ type: string }]>('floorWorkflow', {
        workflowId: `floor-${run}-${id}`,
        taskQueue,
        signal: floorEventSignal,
        signalArgs: [{ type }],
      });

    // Burst: every video's three events, signalled as the bridge would, until every workflow completed.
    const ids = Array.from({ length: options.videos }, (_, i) => String(i));
    const cpu = await cpuMeter({ server: options.server, bench: process.pid });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: SIGNALLERS }, async () => {
        for (let i = next++; i < ids.length; i = next++) {
          for (const type of [EVENT_TYPES.uploaded, EVENT_TYPES.started, EVENT_TYPES.completed]) await start(ids[i]!, type);
        }
      }),
    );
    await Promise.all(ids.map((id) => client.workflow.getHandle(`floor-${run}-${id}`).result()));
    const videosPerS = options.videos / ((performance.now() - t0) / 1000);
    const burstCpuS = await cpu();

    // Queries: in-flight workflows (one event each), queried by `connections` loops at once.
    const live = Array.from({ length: 50 }, (_, i) => `live-${i}`);
    await Promise.all(live.map((id) => start(id, EVENT_TYPES.started)));
    const latencies: number[] = [];
    const until = performance.now() + options.durationS * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < until) {
          const id = live[n++ % live.length]!;
          const began = performance.now();
          await client.workflow.getHandle(`floor-${run}-${id}`).query(floorStatusQuery);
          latencies.push(performance.now() - began);
        }
      }),
    );
    await Promise.all(live.map((id) => client.workflow.getHandle(`floor-${run}-${id}`).terminate('bench done')));
    latencies.sort((a, b) => a - b);
    return { videosPerS, burstCpuS, queriesPerS: latencies.length / options.durationS, queryP99Ms: percentile(latencies, 99) };
  } finally {
    await close();
  }
}

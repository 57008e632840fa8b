/**
 * The live streams under load: BENCH_STREAMS (1,000) SSE clients on one API process, one video
 * each; every video then gets a status change published on RabbitMQ, and each change is timed
 * from its publish to its SSE event at the client (the whole path: bridge, workflow, projection,
 * NOTIFY, the API's fan-out). Also the API's resident memory per open stream.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventSource } from 'eventsource';
import { EVENT_TYPES } from '../src/domain/events.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';

export interface StreamsContext {
  apiUrl: string;
  apiPid: number;
  token: string;
  userId: string;
  publish(event: VideoEventInput): void;
  confirm(): Promise<void>;
  event(videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>): VideoEventInput;
  /** Resolves once every video reads as `status` through the API. */
  waitVisible(ids: string[], status: string): Promise<unknown>;
  percentile(sorted: number[], p: number): number;
}

export interface StreamsResult {
  streams: number;
  delivered: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  bytesPerStream: number;
  publishRate: number;
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

export async function measureStreams(ctx: StreamsContext, count: number, run: string, publishRate = 200): Promise<StreamsResult> {
  const ids = Array.from({ length: count }, (_, i) => `bench-${run}-sse-${i}`);
  for (const id of ids) ctx.publish(ctx.event(id, EVENT_TYPES.uploaded, { userId: ctx.userId }));
  await ctx.confirm();
  await ctx.waitVisible(ids, 'uploaded');

  const rssBefore = await rssOf(ctx.apiPid);
  const receivedAt = new Map<string, number>();
  let firsts = 0;
  const sources = ids.map((id) => {
    const source = new EventSource(`${ctx.apiUrl}/v1/videos/${id}/stream`, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${ctx.token}` } }),
    });
    let first = true;
    source.addEventListener('video', (message: { data: string }) => {
      if (first) {
        first = false;
        firsts++;
      }
      if ((JSON.parse(message.data) as { status: string }).status === 'processing' && !receivedAt.has(id)) receivedAt.set(id, performance.now());
    });
    return source;
  });
  const openDeadline = Date.now() + 120_000;
  while (firsts < count && Date.now() < openDeadline) await sleep(100);
  await sleep(1_000); // let the API settle before measuring its memory
  const rssAfter = await rssOf(ctx.apiPid);

  // Each video's status changes (uploaded -> processing), paced, timed from the publish.
  const publishedAt = new Map<string, number>();
  const t0 = performance.now();
  for (const [i, id] of ids.entries()) {
    const due = t0 + (i * 1000) / publishRate;
    if (due > performance.now()) await sleep(due - performance.now());
    ctx.publish(ctx.event(id, EVENT_TYPES.started, {}));
    publishedAt.set(id, performance.now());
  }
  await ctx.confirm();
  const deadline = Date.now() + 120_000;
  while (receivedAt.size < count && Date.now() < deadline) await sleep(100);
  for (const source of sources) source.close();

  const lags = ids.filter((id) => receivedAt.has(id)).map((id) => receivedAt.get(id)! - publishedAt.get(id)!).sort((a, b) => a - b);
  return {
    streams: firsts,
    delivered: receivedAt.size,
    lagP50Ms: ctx.percentile(lags, 50),
    lagP99Ms: ctx.percentile(lags, 99),
    lagMaxMs: lags.at(-1) ?? NaN,
    bytesPerStream: (rssAfter - rssBefore) / count,
    publishRate,
  };
}

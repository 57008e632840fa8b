/**
 * Rebuilds the workflows Temporal lost (its persistence was lost or restored from an older
 * backup) from the Postgres projection: one video workflow per video that is not finished, then
 * one delivery workflow per webhook delivery still pending. `vidproc rebuild-workflows`.
 *
 * - Idempotent: a workflow that is running is left untouched (counted as `running`); run it again
 *   at will.
 * - Paced: at most `ratePerSecond` calls to Temporal a second, so the worker is not handed every
 *   open video at once (each new run loads its video, and those whose deadline passed meanwhile
 *   stall at once: alerts and reprocess commands).
 * - Resumable: both passes are keysets over the projection's ids; the summary says where it
 *   stopped (`resumeFrom`), which `--resume` takes.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, VIDEO_STATUSES, type VideoStatus } from '../domain/video.js';
import { findOpenVideoIds, findPendingDeliveryIds } from '../db/open-work.js';
import type { VideoGateway } from '../temporal/video-gateway.js';
import type { WebhookGateway } from '../temporal/webhook-gateway.js';

/** The statuses whose videos have a workflow to rebuild (a finished video's workflow has closed, or soon will). */
export const OPEN_STATUSES = VIDEO_STATUSES.filter((status) => !isTerminal(status));

/** Where a pass stands: `video:<videoId>` or `delivery:<deliveryId>`, the last id of a page fully handled. */
export type ResumeToken = `video:${string}` | `delivery:${string}`;

export interface RebuildOptions {
  /** Which open videos (default: every open status). */
  statuses?: readonly VideoStatus[];
  /** Only say what would be started: nothing is started. */
  dryRun?: boolean;
  /** Calls to Temporal a second, at most. */
  ratePerSecond: number;
  /** Start after this point (a previous run's `resumeFrom`). */
  resume?: ResumeToken | null;
  /** Also the pending webhook deliveries (default true). */
  webhooks?: boolean;
  /** Ids read from Postgres at a time. */
  pageSize?: number;
  /** Stops after the page in flight (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called after each page. */
  onProgress?: (summary: RebuildSummary) => void;
}

export interface PassCount {
  /** Ids read from the projection. */
  scanned: number;
  /** Workflows started (in a dry run: that would be started). */
  started: number;
  /** Left as they were: a video's workflow is running; a delivery's ran (running, or closed within the namespace's retention). */
  running: number;
}

export interface RebuildSummary {
  dryRun: boolean;
  videos: PassCount;
  deliveries: PassCount;
  /** Done: every page of both passes handled. */
  complete: boolean;
  /** Where to resume (null when complete). */
  resumeFrom: ResumeToken | null;
  /** Why it stopped early, if it did. */
  error?: string;
}

export interface RebuildDeps {
  em: () => EntityManager;
  videos: Pick<VideoGateway, 'restore' | 'isRunning'>;
  deliveries: Pick<WebhookGateway, 'start' | 'exists'>;
}

/** A resume token from the command line, or null when it is not one. */
export function parseResumeToken(text: string): ResumeToken | null {
  return /^(video|delivery):.+$/.test(text) ? (text as ResumeToken) : null;
}

/**
 * Waits so that calls are at most `perSecond` a second, evenly spaced (no burst after a slow
 * call). Each caller takes its slot before it waits, so callers in several lanes share the rate.
 */
export function createPacer(
  perSecond: number,
  { now = Date.now, wait = (ms: number) => sleep(ms) }: { now?: () => number; wait?: (ms: number) => Promise<unknown> } = {},
): () => Promise<void> {
  const interval = 1000 / perSecond;
  let next = now();
  return async () => {
    const at = now();
    const slot = Math.max(next, at);
    next = slot + interval;
    if (slot > at) await wait(slot - at);
  };
}

/** Lanes of calls in flight: enough to reach the rate when each call takes ~20 ms, never many. */
const lanesFor = (perSecond: number) => Math.min(16, Math.max(1, Math.ceil(perSecond / 50)));

/** Runs `each` over the ids, `lanes` at a time. */
async function inLanes<T>(ids: string[], lanes: number, each: (id: string) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(ids.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, ids.length) }, async () => {
      while (i < ids.length) {
        const at = i++;
        results[at] = await each(ids[at]!);
      }
    }),
  );
  return results;
}

/** A call to Temporal, tried again a few times on a transient failure (the command stops after that). */
async function withRetries<T>(call: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await sleep(500 * attempt);
    }
  }
}

export async function rebuildWorkflows(deps: RebuildDeps, options: RebuildOptions): Promise<RebuildSummary> {
  const { dryRun = false, ratePerSecond, webhooks = true, pageSize = 500, signal, onProgress } = options;
  const statuses = options.statuses ?? OPEN_STATUSES;
  if (!(ratePerSecond > 0)) throw new RangeError(`the rate must be above 0, not ${ratePerSecond}`);
  if (statuses.length === 0 || statuses.some((status) => isTerminal(status))) {
    throw new RangeError(`only open statuses have workflows to rebuild (${OPEN_STATUSES.join(', ')}), not ${statuses.join(', ')}`);
  }
  const pace = createPacer(ratePerSecond, { wait: (ms) => sleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined) });
  const lanes = lanesFor(ratePerSecond);
  const summary: RebuildSummary = {
    dryRun,
    videos: { scanned: 0, started: 0, running: 0 },
    deliveries: { scanned: 0, started: 0, running: 0 },
    complete: false,
    resumeFrom: options.resume ?? null,
  };

  const passes = [
    {
      kind: 'video' as const,
      count: summary.videos,
      page: (after: string | null) => findOpenVideoIds(deps.em(), statuses, after, pageSize),
      handle: async (id: string) =>
        dryRun ? ((await deps.videos.isRunning(id)) ? 'running' : 'started') : deps.videos.restore(id),
    },
    ...(webhooks
      ? [
          {
            kind: 'delivery' as const,
            count: summary.deliveries,
            page: (after: string | null) => findPendingDeliveryIds(deps.em(), after, pageSize),
            handle: async (id: string) =>
              (dryRun ? !(await deps.deliveries.exists(id)) : await deps.deliveries.start(id)) ? 'started' : 'running',
          },
        ]
      : []),
  ];
  // A token for the deliveries means the videos' pass was done.
  const resume = options.resume ?? null;
  const first = resume?.startsWith('delivery:') ? passes.findIndex((p) => p.kind === 'delivery') : 0;
  if (first < 0) throw new RangeError('the resume point is in the webhook deliveries, which this run leaves out');

  try {
    for (const pass of passes.slice(first)) {
      let after = resume?.startsWith(`${pass.kind}:`) ? resume.slice(pass.kind.length + 1) : null;
      for (;;) {
        if (signal?.aborted) return summary;
        const ids = await pass.page(after);
        if (ids.length === 0) break;
        const outcomes = await inLanes(ids, lanes, async (id) => {
          await pace();
          return withRetries(() => pass.handle(id));
        });
        pass.count.scanned += ids.length;
        for (const outcome of outcomes) pass.count[outcome] += 1;
        after = ids.at(-1)!;
        summary.resumeFrom = `${pass.kind}:${after}`;
        onProgress?.(summary);
        if (ids.length < pageSize) break;
      }
    }
  } catch (err) {
    return { ...summary, error: err instanceof Error ? err.message : String(err) };
  }
  return { ...summary, complete: true, resumeFrom: null };
}

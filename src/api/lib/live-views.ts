/**
 * The one way the API asks a video's workflow for its live view (a Temporal query), so that reads
 * of a video in flight cost Temporal as little as they can:
 *  - reads of one video that arrive while a query for it is under way wait for that query's
 *    answer instead of asking again (one query, however many reads);
 *  - a live view the workflow gave at most `maxAgeMs` ago (LIVE_VIEW_MAX_AGE) is served again
 *    without asking (0: never; a read that arrives after an answer asks anew);
 *  - a live view served again when it is older than `refreshAfterMs` (3/4 of maxAgeMs) also
 *    starts one query in the background, so that the reads of a video being read keep finding a
 *    view within the bound instead of waiting for a query once per maxAgeMs (what set the tail
 *    latency of such reads). At most one query per video per refreshAfterMs and query, and only
 *    for videos that are read: a video read once is never refreshed.
 * Only live views are reused; "no such workflow", "closed" and "not answering" are answers to the
 * reads that shared the query only. At most `max` videos' answers are kept (least recently read go
 * first), each for `maxAgeMs`.
 *
 * Per process: each API instance shares its own queries; with several instances a video in flight
 * costs at most one query per instance at a time. When the API changes a video itself (a
 * registration, an operator's action) it forgets what it had for it (`forget`), so that its own
 * next read shows the change; another instance may serve its older view for up to `maxAgeMs`.
 *
 * Bounded: at most `maxConcurrent` queries (API_MAX_CONCURRENT_QUERIES) are under way at once in
 * this process. Past it a read that finds no view to reuse and no query to join is answered
 * "busy" without asking (and a view due for a background refresh is served without one): at once
 * when the reader has the Postgres projection to fall back to; a reader with nothing else (no
 * row, Postgres out) may wait a little for a slot first (`waitMs`, first come first served), then
 * answers a 503 with Retry-After. A Temporal that slows down then costs more reads from the projection, not a pile-up of
 * queries each waiting seconds behind the others (what the bound was measured against: see
 * BENCHMARKS.md, "Overload").
 */
import { isFinalView } from '../../domain/video.js';
import type { LiveStatus } from '../../temporal/video-gateway.js';
import { Lru } from './lru.js';
import type { ResponseMemo } from './video-response.js';

/** A workflow's answer, or "busy": no query was sent, this process had maxConcurrent under way. */
export type LiveAnswerStatus = LiveStatus | { kind: 'busy' };

export interface LiveAnswer extends ResponseMemo {
  status: LiveAnswerStatus;
  /** When the workflow answered (`now()`'s clock, ms). */
  answeredAt: number;
}

export interface LiveViewsStats {
  /** Queries sent to workflows. */
  queries: number;
  /** Reads that waited for a query another read had sent. */
  joined: number;
  /** Reads served a live view answered earlier (within maxAgeMs). */
  reused: number;
  /** Queries sent in the background, to refresh a live view being read (counted in queries too). */
  refreshed: number;
  /** Reads answered "busy" (maxConcurrent queries under way), and background refreshes skipped for it. */
  busy: number;
}

export interface LiveViews {
  /** How old a live view served again may be (ms). */
  readonly maxAgeMs: number;
  /** How long a read that has the projection to fall back to waits for a workflow's answer (ms). */
  readonly patienceMs: number;
  /** Queries under way now (at most maxConcurrent). */
  inFlight(): number;
  /** The clock of `answeredAt`. */
  now(): number;
  /** A live view the workflow gave at most maxAgeMs ago, if this process has one. */
  recent(videoId: string): LiveAnswer | undefined;
  /** The answer of the query under way for the video, if there is one (joining it). */
  underWay(videoId: string): Promise<LiveAnswer> | undefined;
  /**
   * The workflow's answer: a recent live view, else the query under way for the video, else a new
   * query; past the bound, "busy" (after waiting up to `waitMs` for a query to end and free its slot).
   */
  ask(videoId: string, waitMs?: number): Promise<LiveAnswer>;
  /** The video changed through this process: its next read asks the workflow again. */
  forget(videoId: string): void;
  stats(): LiveViewsStats;
}

export type AskWorkflow = (videoId: string, timeoutMs: number) => Promise<LiveStatus>;

export interface LiveViewsOptions {
  /** LIVE_VIEW_MAX_AGE in ms; 0: a live view is never served again. */
  maxAgeMs: number;
  /** How long a query may take (TEMPORAL_QUERY_TIMEOUT_MS); then its answer is "not answering". */
  timeoutMs: number;
  /** A live view served again past this age is refreshed in the background (default 3/4 of maxAgeMs; maxAgeMs or more: never). */
  refreshAfterMs?: number;
  /** At most this many queries under way at once (API_MAX_CONCURRENT_QUERIES); default DEFAULT_MAX_CONCURRENT_QUERIES. */
  maxConcurrent?: number;
  /** How long a read with a fallback waits for the workflow (LIVE_VIEW_PATIENCE); default the whole timeoutMs. */
  patienceMs?: number;
  /** How many videos' recent answers to keep at most. */
  max?: number;
  now?: () => number;
}

/**
 * Videos whose last live view is kept: about 2 KB each with its response (a presigned link makes
 * most of it), so 2 MB at most; an answer matters for maxAgeMs only, so 1,000 covers 4,000
 * different videos read per second at the default 250 ms.
 */
export const LIVE_VIEWS_KEPT = 1_000;

/** A live view served again past this share of the bound is refreshed in the background. */
export const REFRESH_AFTER_SHARE = 0.75;

/** The default of API_MAX_CONCURRENT_QUERIES (measured: see BENCHMARKS.md, "Overload"). */
export const DEFAULT_MAX_CONCURRENT_QUERIES = 16;

export function createLiveViews(askWorkflow: AskWorkflow, options: LiveViewsOptions): LiveViews {
  const { maxAgeMs, timeoutMs, max = LIVE_VIEWS_KEPT, now = () => performance.now() } = options;
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_QUERIES;
  const patienceMs = Math.min(options.patienceMs ?? timeoutMs, timeoutMs);
  let inFlight = 0;
  /** Reads waiting for a slot, oldest first: each is woken when a query ends (or when its wait is over). */
  const waiting = new Set<() => void>();
  const wakeOne = () => {
    const next = waiting.values().next();
    if (next.done) return;
    waiting.delete(next.value);
    next.value();
  };
  /** Resolves when a slot may be free (a query ended), or after `ms`. */
  const slotFreed = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(wake);
        resolve();
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      waiting.add(wake);
    });
  const refreshAfterMs = options.refreshAfterMs ?? maxAgeMs * REFRESH_AFTER_SHARE;
  const answers = new Lru<string, LiveAnswer>(maxAgeMs > 0 ? max : 0);
  const asking = new Map<string, { answer?: Promise<LiveAnswer> }>();
  const stats: LiveViewsStats = { queries: 0, joined: 0, reused: 0, refreshed: 0, busy: 0 };

  const recent = (videoId: string): LiveAnswer | undefined => {
    const answer = answers.get(videoId);
    if (!answer) return undefined;
    const age = now() - answer.answeredAt;
    if (age > maxAgeMs) {
      answers.delete(videoId);
      return undefined;
    }
    stats.reused++;
    if (age > refreshAfterMs && !asking.has(videoId)) {
      if (inFlight >= maxConcurrent) {
        stats.busy++; // served as it is (within the bound); a later read may refresh it
      } else {
        stats.refreshed++;
        void query(videoId);
      }
    }
    return answer;
  };

  /** Sends a query; while it is under way, the video's reads wait for it. */
  const query = (videoId: string): Promise<LiveAnswer> => {
    stats.queries++;
    const underWay: { answer?: Promise<LiveAnswer> } = {};
    asking.set(videoId, underWay);
    const answer = (async (): Promise<LiveAnswer> => {
      let status: LiveStatus;
      inFlight++;
      try {
        status = await askWorkflow(videoId, timeoutMs);
      } catch (error) {
        status = { kind: 'unavailable', error };
      } finally {
        inFlight--;
        // Woken after this answer is recorded (below, in this same turn): it may find it, or the slot.
        wakeOne();
      }
      const answered: LiveAnswer = { status, answeredAt: now() };
      // Only a query the video's reads still wait for leaves its answer (not one forgotten meanwhile).
      if (asking.get(videoId) === underWay) {
        asking.delete(videoId);
        // A final view is not kept here: a finished video is read from Postgres, and kept from there
        // (final-views.ts), instead of being asked of its workflow while it lingers and is read.
        // Nor is a view without an owner: its owner's reads would get a 404 from it until it aged
        // out, after the event that names them (it is rare: events out of order).
        if (status.kind === 'live' && !isFinalView(status.view) && status.view.userId !== null) answers.set(videoId, answered);
      }
      return answered;
    })();
    underWay.answer = answer;
    return answer;
  };

  const underWay = (videoId: string): Promise<LiveAnswer> | undefined => {
    const answer = asking.get(videoId)?.answer;
    if (answer) stats.joined++;
    return answer;
  };

  /** A recent view, the query under way, or a new query if a slot is free; undefined: none is. */
  const tryAsk = (videoId: string): Promise<LiveAnswer> | undefined => {
    const reused = recent(videoId);
    if (reused) return Promise.resolve(reused);
    return underWay(videoId) ?? (inFlight < maxConcurrent ? query(videoId) : undefined);
  };

  const busy = (): LiveAnswer => {
    stats.busy++;
    return { status: { kind: 'busy' }, answeredAt: now() };
  };

  /** Waits up to `waitMs` for a query to end, then tries again (and again, while time is left). */
  const askWhenFree = async (videoId: string, waitMs: number): Promise<LiveAnswer> => {
    const until = performance.now() + waitMs;
    for (let left = waitMs; left > 0; left = until - performance.now()) {
      await slotFreed(left);
      const answer = tryAsk(videoId);
      if (answer) {
        // A woken read that did not take the slot (it found a view, or a query to join) passes it on.
        if (inFlight < maxConcurrent) wakeOne();
        return answer;
      }
    }
    return busy();
  };

  return {
    maxAgeMs,
    patienceMs,
    inFlight: () => inFlight,
    now,
    recent,
    underWay,
    ask(videoId, waitMs = 0) {
      return tryAsk(videoId) ?? (waitMs > 0 ? askWhenFree(videoId, waitMs) : Promise.resolve(busy()));
    },
    forget(videoId) {
      answers.delete(videoId);
      asking.delete(videoId);
    },
    stats: () => ({ ...stats }),
  };
}

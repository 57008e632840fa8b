/**
 * The read path: the live workflow for a video in flight, the Postgres projection for a
 * finished one, a closed workflow, or a Temporal that does not answer in time. A finished video's
 * final view is kept in memory once read (src/api/lib/final-views.ts), and a workflow's answer is
 * shared by the reads that wait for it and served again for a short while
 * (src/api/lib/live-views.ts); either way the view says where it came from and how old it is.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { findVideo } from '../../../db/video-store.js';
import { canRead, isFinalView, toView, type Principal, type VideoState, type VideoView } from '../../../domain/video.js';
import type { FinalViews, KeptView } from '../../lib/final-views.js';
import type { LiveAnswer, LiveViews } from '../../lib/live-views.js';
import { dependencyDown, HttpProblem } from '../../lib/problem.js';
import type { ResponseMemo } from '../../lib/video-response.js';

/** Where the view came from: the video's workflow (a query), or the Postgres projection. */
export type StatusSource = 'workflow' | 'database';

export interface ReadDeps {
  /** Forked for each read of Postgres (a read needs no request context). */
  em: EntityManager;
  finalViews: FinalViews;
  liveViews: LiveViews;
}

/**
 * Why a view that could still change came from the projection when the workflow would have given
 * it: `busy`, this process had API_MAX_CONCURRENT_QUERIES queries under way and asked none;
 * `slow`, the workflow had not answered within LIVE_VIEW_PATIENCE (its answer, when it comes, is
 * kept for the next reads); `unavailable`, Temporal did not answer (an error, or
 * TEMPORAL_QUERY_TIMEOUT_MS). Absent when the projection is where the view belongs (a finished
 * video, a closed workflow).
 */
export type FallbackReason = 'busy' | 'slow' | 'unavailable';

export interface ReadResult {
  view: VideoView;
  source: StatusSource;
  /**
   * How long ago (ms) the view was known to be the video's: a workflow's, since it answered; a
   * final view, since it was read from the projection (0: for this request; it cannot change);
   * any other view from the projection, since its row was last written (`updatedAt`, the time
   * of the last change it records: the workflow may have moved on since).
   */
  ageMs: number;
  /** The most ageMs may be for a view that can still change (a workflow's, LIVE_VIEW_MAX_AGE); null when read now or final. */
  maxAgeMs: number | null;
  /** Set when the workflow would have answered but the projection did instead. */
  fallback?: FallbackReason;
  /** Where the view's response is kept, for as long as the view is. */
  memo: ResponseMemo;
}

const fromKept = (kept: KeptView, now: number): ReadResult => ({
  view: kept.view,
  source: 'database',
  ageMs: Math.max(0, now - kept.readAt),
  maxAgeMs: null,
  memo: kept,
});

const fromWorkflow = (answer: LiveAnswer & { status: { kind: 'live' } }, liveViews: LiveViews): ReadResult => ({
  view: answer.status.view,
  source: 'workflow',
  ageMs: Math.max(0, liveViews.now() - answer.answeredAt),
  maxAgeMs: liveViews.maxAgeMs,
  memo: answer,
});

/** A row of the projection: final, it is read now (age 0); otherwise as old as its last write (wall clocks: the writer's and this host's). */
const fromProjection = (stored: VideoState, kept: KeptView | undefined, fallback?: FallbackReason): ReadResult => {
  const view = kept?.view ?? toView(stored);
  const ageMs = isFinalView(stored) ? 0 : Math.max(0, Date.now() - Date.parse(stored.updatedAt));
  return { view, source: 'database', ageMs, maxAgeMs: null, memo: kept ?? {}, ...(fallback && { fallback }) };
};

const isLive = (answer: LiveAnswer): answer is LiveAnswer & { status: { kind: 'live' } } => answer.status.kind === 'live';

/** Why a workflow's answer is not a view (or that it did not come within the patience: undefined). */
const reasonOf = (answer: LiveAnswer | undefined): FallbackReason | undefined =>
  answer === undefined ? 'slow' : answer.status.kind === 'busy' ? 'busy' : answer.status.kind === 'unavailable' ? 'unavailable' : undefined;

/** The answer if it comes within `ms`, else undefined (the query goes on; its answer is kept for later reads). */
async function within(answer: Promise<LiveAnswer>, ms: number): Promise<LiveAnswer | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Nothing to fall back to and no query sent (this process had as many under way as it may, for LIVE_VIEW_PATIENCE): a 503. */
const BUSY_RETRY_AFTER_S = 1;
const busy = () =>
  new HttpProblem(503, 'too many reads are asking videos\' workflows right now; try again shortly', {}, { 'Retry-After': String(BUSY_RETRY_AFTER_S) });

export async function readVideo(deps: ReadDeps, videoId: string): Promise<ReadResult | null> {
  const { finalViews, liveViews } = deps;
  const kept = finalViews.get(videoId);
  if (kept) return fromKept(kept, finalViews.now());
  const recent = liveViews.recent(videoId);
  if (recent && isLive(recent)) return fromWorkflow(recent, liveViews);
  // A query for the video is under way (another read's): its answer costs nothing more, so wait
  // for it (up to the patience) before Postgres; a live view is the answer (the workflow is open:
  // the video is in flight, or finished a moment ago). Anything else, and the projection decides.
  // The patience is the read's, from here: waiting for a joined query and then for its rest count together.
  const patientUntil = performance.now() + liveViews.patienceMs;
  const patienceLeft = () => Math.max(0, patientUntil - performance.now());
  const joined = liveViews.underWay(videoId);
  const early = joined && (await within(joined, patienceLeft()));
  if (early && isLive(early)) return fromWorkflow(early, liveViews);

  let stored: VideoState | null;
  let keptNow: KeptView | undefined;
  try {
    // A video in flight whose row this process keeps (a fallback read it lately) costs no round trip.
    const keptRow = finalViews.row(videoId);
    ({ stored, kept: keptNow } = keptRow ? { stored: keptRow, kept: undefined } : await finalViews.load(videoId, () => findVideo(deps.em.fork(), videoId)));
  } catch (err) {
    // Postgres is out: the workflow may still answer for a video in flight (a slot is waited for up
    // to the patience, the answer in full: there is nothing else to answer with).
    const live = early ?? (await (joined ?? liveViews.ask(videoId, liveViews.patienceMs)));
    if (isLive(live)) return fromWorkflow(live, liveViews);
    if (live.status.kind === 'busy') throw busy();
    throw err;
  }
  // A final view is the projection's to answer; a finished video without its owner yet can still
  // change (its late `uploaded` event), so its workflow answers for it like for one in flight.
  if (stored && isFinalView(stored)) return fromProjection(stored, keptNow);

  if (stored) {
    // A row to fall back to: no wait for a slot, and the workflow is waited for only as long as the patience allows.
    const live = await within(early ? Promise.resolve(early) : (joined ?? liveViews.ask(videoId)), patienceLeft());
    if (live && isLive(live)) return fromWorkflow(live, liveViews);
    return fromProjection(stored, keptNow, reasonOf(live));
  }
  // Nothing to fall back to: a slot is waited for up to the patience, the answer up to the query's timeout.
  const live = early ?? (await (joined ?? liveViews.ask(videoId, liveViews.patienceMs)));
  if (isLive(live)) return fromWorkflow(live, liveViews);
  if (live.status.kind === 'busy') throw busy();
  // Nothing stored and Temporal silent: the video may exist but is not persisted yet.
  if (live.status.kind === 'unavailable') throw dependencyDown('Temporal');
  return null;
}

export const videoNotFound = (videoId: string) => new HttpProblem(404, `no video with id "${videoId}"`);

/** The video if this principal may read it; unknown and not-yours look the same (404), however the view was found. */
export async function readReadableVideo(deps: ReadDeps, principal: Principal, videoId: string): Promise<ReadResult> {
  const found = await readVideo(deps, videoId);
  if (!found || !canRead(principal, found.view)) throw videoNotFound(videoId);
  return found;
}

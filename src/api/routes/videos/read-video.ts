/**
 * The read path: the live workflow for a video in flight, the Postgres projection for a
 * finished one, a closed workflow, or a Temporal that does not answer in time. A finished video's
 * final view is kept in memory once read (src/api/lib/final-views.ts), and a workflow's answer is
 * shared by the reads that wait for it and served again for a short while
 * (src/api/lib/live-views.ts); either way the view says where it came from and how old it is.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { findVideo } from '../../../db/video-store.js';
import { canRead, isTerminal, toView, type Principal, type VideoState, type VideoView } from '../../../domain/video.js';
import type { FinalViews, KeptView } from '../../lib/final-views.js';
import type { LiveAnswer, LiveViews } from '../../lib/live-views.js';
import { HttpProblem } from '../../lib/problem.js';
import type { ResponseMemo } from '../../lib/video-response.js';

/** Where the view came from: the video's workflow (a query), or the Postgres projection. */
export type StatusSource = 'workflow' | 'database';

export interface ReadDeps {
  /** Forked for each read of Postgres (a read needs no request context). */
  em: EntityManager;
  finalViews: FinalViews;
  liveViews: LiveViews;
}

export interface ReadResult {
  view: VideoView;
  source: StatusSource;
  /** How long ago (ms) its source gave this view: 0 when it was read for this request. */
  ageMs: number;
  /** The most ageMs may be for a view that can still change (a workflow's, LIVE_VIEW_MAX_AGE); null when read now or final. */
  maxAgeMs: number | null;
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

const isLive = (answer: LiveAnswer): answer is LiveAnswer & { status: { kind: 'live' } } => answer.status.kind === 'live';

export async function readVideo(deps: ReadDeps, videoId: string): Promise<ReadResult | null> {
  const { finalViews, liveViews } = deps;
  const kept = finalViews.get(videoId);
  if (kept) return fromKept(kept, finalViews.now());
  const recent = liveViews.recent(videoId);
  if (recent && isLive(recent)) return fromWorkflow(recent, liveViews);
  // A query for the video is under way (another read's): its answer costs nothing more, so wait
  // for it before Postgres; a live view is the answer (the workflow is open: the video is in
  // flight, or finished a moment ago). Anything else, and the projection decides, as below.
  const joined = liveViews.underWay(videoId);
  const early = joined && (await joined);
  if (early && isLive(early)) return fromWorkflow(early, liveViews);

  let stored: VideoState | null;
  let keptNow: KeptView | undefined;
  try {
    ({ stored, kept: keptNow } = await finalViews.load(videoId, () => findVideo(deps.em.fork(), videoId)));
  } catch (err) {
    // Postgres is out: the workflow may still answer for a video in flight.
    const live = early ?? (await liveViews.ask(videoId));
    if (isLive(live)) return fromWorkflow(live, liveViews);
    throw err;
  }
  const fromDatabase = (): ReadResult => ({ view: keptNow?.view ?? toView(stored!), source: 'database', ageMs: 0, maxAgeMs: null, memo: keptNow ?? {} });
  if (stored && isTerminal(stored.status)) return fromDatabase();

  const live = early ?? (await liveViews.ask(videoId));
  if (isLive(live)) return fromWorkflow(live, liveViews);
  if (stored) return fromDatabase();
  // Nothing stored and Temporal silent: the video may exist but is not persisted yet.
  if (live.status.kind === 'unavailable') throw new HttpProblem(503, 'Temporal is not answering; try again shortly');
  return null;
}

export const videoNotFound = (videoId: string) => new HttpProblem(404, `no video with id "${videoId}"`);

/** The video if this principal may read it; unknown and not-yours look the same (404), however the view was found. */
export async function readReadableVideo(deps: ReadDeps, principal: Principal, videoId: string): Promise<ReadResult> {
  const found = await readVideo(deps, videoId);
  if (!found || !canRead(principal, found.view)) throw videoNotFound(videoId);
  return found;
}

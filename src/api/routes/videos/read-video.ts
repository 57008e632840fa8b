/**
 * The read path: the live workflow for a video in flight, the Postgres projection for a
 * finished one, a closed workflow, or a Temporal that does not answer in time.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { findVideo } from '../../../db/video-store.js';
import { canRead, isTerminal, toView, type Principal, type VideoState, type VideoView } from '../../../domain/video.js';
import type { VideoGateway } from '../../../temporal/video-gateway.js';
import { HttpProblem } from '../../lib/problem.js';

export type StatusSource = 'workflow' | 'database';

export interface ReadResult {
  view: VideoView;
  source: StatusSource;
}

export async function readVideo(
  deps: { videos: VideoGateway; em: EntityManager; queryTimeoutMs: number },
  videoId: string,
): Promise<ReadResult | null> {
  let stored: VideoState | null;
  try {
    stored = await findVideo(deps.em, videoId);
  } catch (err) {
    // Postgres is out: the workflow may still answer for a video in flight.
    const live = await deps.videos.liveStatus(videoId, deps.queryTimeoutMs);
    if (live.kind === 'live') return { view: live.view, source: 'workflow' };
    throw err;
  }
  if (stored && isTerminal(stored.status)) return { view: toView(stored), source: 'database' };

  const live = await deps.videos.liveStatus(videoId, deps.queryTimeoutMs);
  if (live.kind === 'live') return { view: live.view, source: 'workflow' };
  if (stored) return { view: toView(stored), source: 'database' };
  // Nothing stored and Temporal silent: the video may exist but is not persisted yet.
  if (live.kind === 'unavailable') throw new HttpProblem(503, 'Temporal is not answering; try again shortly');
  return null;
}

export const videoNotFound = (videoId: string) => new HttpProblem(404, `no video with id "${videoId}"`);

/** The video if this principal may read it; unknown and not-yours look the same (404). */
export async function readReadableVideo(
  deps: { videos: VideoGateway; em: EntityManager; queryTimeoutMs: number },
  principal: Principal,
  videoId: string,
): Promise<ReadResult> {
  const found = await readVideo(deps, videoId);
  if (!found || !canRead(principal, found.view)) throw videoNotFound(videoId);
  return found;
}

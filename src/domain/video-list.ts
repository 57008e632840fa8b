/**
 * Listing videos: whose videos a caller may list, and what a listing may narrow them by. Pure:
 * the API applies the rule, src/db runs the query.
 */
import type { Principal, VideoState, VideoStatus } from './video.js';

/** Page sizes of a video listing. */
export const VIDEO_LIST_LIMIT = { default: 20, max: 100 } as const;

/** What a listing is narrowed by; every field optional, all of them apply together. */
export interface VideoListFilter {
  /** Any of these statuses. */
  statuses?: VideoStatus[];
  stalled?: boolean;
  /** RFC 3339, inclusive: created at or after. */
  createdAfter?: string;
  /** RFC 3339, exclusive: created before (consecutive windows neither overlap nor leave gaps). */
  createdBefore?: string;
}

/** A listing as it runs: whose videos (null: every user's) and the filter. */
export interface VideoListQuery extends VideoListFilter {
  owner: string | null;
}

export type ListOwner = { owner: string | null } | { refused: string };

/**
 * Whose videos `principal` lists, given the `userId` it asked for (if any). A user lists only
 * their own: naming themselves changes nothing, naming anyone else is refused (never widened,
 * never silently swapped for their own, and the same answer whether that user exists or not).
 * An operator lists every user's, or one user's.
 */
export function listOwner(principal: Principal, userId: string | undefined): ListOwner {
  if (principal.operator) return { owner: userId ?? null };
  if (userId === undefined || userId === principal.userId) return { owner: principal.userId };
  return { refused: 'userId is an operator filter: leave it out to list your own videos' };
}

/** Whether a video is in a listing (the same rule the listing's query applies in Postgres). */
export function inListing(video: Pick<VideoState, 'userId' | 'status' | 'stalled' | 'createdAt'>, query: VideoListQuery): boolean {
  if (query.owner !== null && video.userId !== query.owner) return false;
  if (query.statuses !== undefined && !query.statuses.includes(video.status)) return false;
  if (query.stalled !== undefined && video.stalled !== query.stalled) return false;
  const created = Date.parse(video.createdAt);
  if (query.createdAfter !== undefined && created < Date.parse(query.createdAfter)) return false;
  if (query.createdBefore !== undefined && created >= Date.parse(query.createdBefore)) return false;
  return true;
}

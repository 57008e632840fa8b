/**
 * The body and ETag of `GET /v1/videos/{videoId}`, made once per view and link: a view kept in
 * memory (a finished video's, a workflow answer shared by many reads) keeps its response with it,
 * so reading it again costs no JSON.stringify and no hashing. The images link is opened on every
 * read (a presigned link is the same all through its signing window, src/storage/signing-window.ts,
 * and the presigner signs each once per window); when it is no longer the link the response was
 * made with (the window moved on), the response is made again.
 */
import { withLink, type LinkOpener, type OpenedLink } from '../../domain/public-video.js';
import type { VideoView } from '../../domain/video.js';
import { bodyETag } from './etag.js';

export interface VideoResponse {
  /** The PublicVideo as JSON (what c.json would send). */
  body: string;
  etag: string;
  /** The link the body carries (null: the video has none). */
  link: OpenedLink | null;
}

/** Where a view's response is kept: with the view, for as long as the view is. */
export interface ResponseMemo {
  response?: VideoResponse;
}

const sameLink = (a: OpenedLink | null, b: OpenedLink | null) => a === b || (a !== null && b !== null && a.url === b.url && a.expiresAt === b.expiresAt);

export async function videoResponse(view: VideoView, openLink: LinkOpener, memo: ResponseMemo): Promise<VideoResponse> {
  const link = view.imagesUrl === null ? null : await openLink(view.imagesUrl);
  const kept = memo.response;
  if (kept && sameLink(kept.link, link)) return kept;
  const body = JSON.stringify(withLink(view, link));
  return (memo.response = { body, etag: bodyETag(body), link });
}

/**
 * The video as its owner sees it (the API, the SSE streams, the webhooks): the view, with a link
 * to the images that opens in a browser. Opening a link is the caller's (an `s3://` link is
 * presigned by src/storage; anything else passes through), so this stays pure.
 */
import type { VideoView } from './video.js';

export interface PublicVideo extends VideoView {
  /** When `imagesUrl` stops working (a presigned link), or null when it does not expire. */
  imagesUrlExpiresAt: string | null;
}

export interface OpenedLink {
  url: string;
  expiresAt: string | null;
}

/** Turns a stored images link into one that opens. */
export type LinkOpener = (imagesUrl: string) => Promise<OpenedLink>;

/** Links as stored (no object store configured): what the processing service wrote. */
export const linksAsStored: LinkOpener = (url) => Promise.resolve({ url, expiresAt: null });

/** The view with its images link opened (`link`: what `openLink` made of `view.imagesUrl`; null when there is none). */
export function withLink(view: VideoView, link: OpenedLink | null): PublicVideo {
  return link === null ? { ...view, imagesUrlExpiresAt: null } : { ...view, imagesUrl: link.url, imagesUrlExpiresAt: link.expiresAt };
}

export async function publicVideo(view: VideoView, openLink: LinkOpener): Promise<PublicVideo> {
  return withLink(view, view.imagesUrl === null ? null : await openLink(view.imagesUrl));
}

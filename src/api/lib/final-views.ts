/**
 * Finished videos' views, kept in this API process's memory: reading one again costs no database
 * round trip. Only final views are kept (isFinalView: finished, with an owner), read from the
 * Postgres projection, at most `max` of them (least recently read go first; 0 keeps none).
 *
 * A final view's content never changes, but a late event still raises its `version` (every event
 * is a history line, even an ignored one). So the projection's change feed (Postgres
 * LISTEN/NOTIFY, src/db/video-changes.ts, the one the live streams follow) drops a video's view
 * whenever its row is written, and every view when the feed reconnects (changes may have been
 * missed); a read that was under way when its video changed keeps nothing; and while the feed is
 * not listening nothing is served from here or kept. A view kept here is therefore the row as it
 * is, up to the time a NOTIFY takes to arrive.
 *
 * The row of a video in flight is kept too, the same way (dropped on any write of it, at most
 * `max`), for the reads that fall back to the projection (read-video.ts: past the bound on
 * workflow queries, a slow or silent workflow): under overload those are most reads of videos in
 * flight, and each would otherwise cost a database round trip. Such a row is never served as a
 * workflow's answer; its age is its last write's (`updatedAt`).
 *
 * Per process: each API instance has its own, fed by its own listening connection; nothing here
 * assumes one instance. Who may read a kept view is decided on every read (canRead), never here.
 */
import type { VideoChangeFeed } from '../../db/video-changes.js';
import { isFinalView, toView, type VideoState, type VideoView } from '../../domain/video.js';
import { Lru } from './lru.js';
import type { ResponseMemo } from './video-response.js';

export interface KeptView extends ResponseMemo {
  view: VideoView;
  /** When it was read from the projection (`now()`'s clock, ms). */
  readAt: number;
}

export interface FinalViews {
  /** The kept view of a finished video, if there is one (none while the change feed is not listening). */
  get(videoId: string): KeptView | undefined;
  /** The kept row of a video in flight, if there is one (none while the change feed is not listening). */
  row(videoId: string): VideoState | undefined;
  /**
   * Reads the video's row with `read`, and keeps its view if it is final (else the row), the feed
   * listened all along and the video did not change meanwhile.
   */
  load(videoId: string, read: () => Promise<VideoState | null>): Promise<{ stored: VideoState | null; kept: KeptView | undefined }>;
  /** The clock of `readAt`. */
  now(): number;
  /** Views kept now. */
  size(): number;
  /** Stops following the feed. */
  close(): void;
}

export interface FinalViewsOptions {
  /** How many views to keep at most (FINAL_VIEW_CACHE_SIZE); 0: none. */
  max: number;
  now?: () => number;
}

/** A read under way: whether its video changed (or the feed resynced) before it could keep its view. */
interface Loading {
  stale: boolean;
}

export function createFinalViews(feed: VideoChangeFeed, { max, now = () => performance.now() }: FinalViewsOptions): FinalViews {
  const kept = new Lru<string, KeptView>(max);
  const rows = new Lru<string, VideoState>(max);
  const loading = new Map<string, Set<Loading>>();

  const unsubscribe =
    max > 0
      ? feed.subscribe({
          change({ videoId }) {
            kept.delete(videoId);
            rows.delete(videoId);
            for (const read of loading.get(videoId) ?? []) read.stale = true;
          },
          resync() {
            kept.clear();
            rows.clear();
            for (const reads of loading.values()) for (const read of reads) read.stale = true;
          },
        })
      : () => undefined;

  return {
    get: (videoId) => (max > 0 && feed.connected() ? kept.get(videoId) : undefined),
    row: (videoId) => (max > 0 && feed.connected() ? rows.get(videoId) : undefined),

    async load(videoId, read) {
      if (max <= 0) return { stored: await read(), kept: undefined };
      const loadingThis: Loading = { stale: !feed.connected() };
      let reads = loading.get(videoId);
      if (!reads) loading.set(videoId, (reads = new Set()));
      reads.add(loadingThis);
      let stored: VideoState | null;
      try {
        stored = await read();
      } finally {
        reads.delete(loadingThis);
        if (reads.size === 0 && loading.get(videoId) === reads) loading.delete(videoId);
      }
      // Nothing can run between the read's end and here (no await): a change that arrives later drops what is kept now.
      if (!stored || loadingThis.stale || !feed.connected()) return { stored, kept: undefined };
      const view = toView(stored);
      if (!isFinalView(view)) {
        rows.set(videoId, stored);
        return { stored, kept: undefined };
      }
      rows.delete(videoId);
      const entry: KeptView = { view, readAt: now() };
      kept.set(videoId, entry);
      return { stored, kept: entry };
    },

    now,
    size: () => kept.size,
    close: () => void unsubscribe(),
  };
}

/**
 * Fans the projection's changes (src/db/video-changes.ts) out to this process's live streams:
 * each stream follows one video, one owner's videos, or everyone's (an operator). A change's row
 * is read once for all the streams that want it, however many follow it.
 */
import type { VideoChange, VideoChangeFeed } from '../../db/video-changes.js';
import type { VideoState } from '../../domain/video.js';

/** The changed video as stored now (read once per change, on first use). */
export type ReadChanged = () => Promise<VideoState | null>;

export interface LiveListener {
  change(change: VideoChange, read: ReadChanged): void;
  /** Changes may have been missed (the feed reconnected): look again. */
  resync(): void;
  /** The process is stopping: end the stream. */
  end(): void;
}

export type LiveScope = { videoId: string } | { userId: string } | { everyone: true };

export interface LiveVideos {
  follow(scope: LiveScope, listener: LiveListener): () => void;
  /** Streams open in this process. */
  open(): number;
  /** Ends every stream (before the server closes: it waits for open requests). */
  endAll(): void;
}

export function createLiveVideos(feed: VideoChangeFeed, readRow: (videoId: string) => Promise<VideoState | null>): LiveVideos {
  const byVideo = new Map<string, Set<LiveListener>>();
  const byUser = new Map<string, Set<LiveListener>>();
  const everyone = new Set<LiveListener>();
  const all = new Set<LiveListener>();

  const add = (map: Map<string, Set<LiveListener>>, key: string, listener: LiveListener) => {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) map.delete(key);
    };
  };

  feed.subscribe({
    change(change) {
      const listeners = [
        ...(byVideo.get(change.videoId) ?? []),
        ...(change.userId === null ? [] : (byUser.get(change.userId) ?? [])),
        ...everyone,
      ];
      if (listeners.length === 0) return;
      let row: Promise<VideoState | null> | undefined;
      const read: ReadChanged = () => (row ??= readRow(change.videoId));
      for (const listener of listeners) listener.change(change, read);
    },
    resync() {
      for (const listener of all) listener.resync();
    },
  });

  return {
    follow(scope, listener) {
      all.add(listener);
      let remove: () => void;
      if ('videoId' in scope) remove = add(byVideo, scope.videoId, listener);
      else if ('userId' in scope) remove = add(byUser, scope.userId, listener);
      else {
        everyone.add(listener);
        remove = () => everyone.delete(listener);
      }
      return () => {
        all.delete(listener);
        remove();
      };
    },
    open: () => all.size,
    endAll() {
      for (const listener of [...all]) listener.end();
    },
  };
}

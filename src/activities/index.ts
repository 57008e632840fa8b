/**
 * Activities: the only code that writes the projection. A thin factory over its dependencies,
 * so tests and the worker pass in the real ORM.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ValidationError } from '@mikro-orm/core';
import { isDataRefused } from '../db/errors.js';
import type { Orm } from '../db/index.js';
import { findRecentEventIds, findVideo, saveVideo } from '../db/videos.js';
import type { HistoryRecord, VideoState } from '../domain/video.js';

export interface ActivityDeps {
  orm: Orm;
}

export interface StoredVideo {
  video: VideoState;
  seenEventIds: string[];
}

/** Errors that retrying cannot fix: the data itself is refused. */
const NON_RETRYABLE = 'ProjectionRejected';

function permanent(err: unknown): never {
  if (isDataRefused(err) || err instanceof ValidationError) {
    throw ApplicationFailure.nonRetryable((err as Error).message, NON_RETRYABLE);
  }
  throw err;
}

export function createActivities({ orm }: ActivityDeps) {
  return {
    /** The stored projection of a video (with the ids of its recent events), or null. */
    async loadVideo(videoId: string): Promise<StoredVideo | null> {
      const em = orm.em.fork();
      const video = await findVideo(em, videoId);
      if (!video) return null;
      return { video, seenEventIds: await findRecentEventIds(em, videoId) };
    },

    /** Writes the video's state and new history records; never moves the stored row backwards. */
    async recordVideo(input: { video: VideoState; records: HistoryRecord[] }): Promise<{ written: boolean }> {
      try {
        return { written: await saveVideo(orm.em.fork(), input.video, input.records) };
      } catch (err) {
        permanent(err);
      }
    },
  };
}

export type VideoActivities = ReturnType<typeof createActivities>;

/**
 * Reads and writes of the projection. Writes are idempotent and never move a video backwards:
 * the row is replaced only by a higher version, history records are keyed by (video, seq).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { MAX_REMEMBERED_EVENT_IDS, type HistoryRecord, type VideoState } from '../domain/video.js';
import { Video, VideoEventRecord } from './entities.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const date = (s: string | null) => (s ? new Date(s) : null);

export function toState(row: Video): VideoState {
  return {
    videoId: row.videoId,
    userId: row.userId ?? null,
    fileName: row.fileName ?? null,
    status: row.status,
    progress: row.progress ?? null,
    imagesUrl: row.imagesUrl ?? null,
    frameCount: row.frameCount ?? null,
    error: row.error ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: iso(row.completedAt),
    stalled: row.stalled,
    stalledSince: iso(row.stalledSince),
    deadline: iso(row.deadline),
    lastEventAt: iso(row.lastEventAt),
    reprocessAttempts: row.reprocessAttempts,
    lastAlertAt: iso(row.lastAlertAt),
    version: row.version,
  };
}

export async function findVideo(em: EntityManager, videoId: string): Promise<VideoState | null> {
  const row = await em.findOne(Video, { videoId }, { disableIdentityMap: true });
  return row ? toState(row) : null;
}

export async function findHistory(em: EntityManager, videoId: string, limit = 500): Promise<HistoryRecord[]> {
  const rows = await em.find(
    VideoEventRecord,
    { videoId },
    { orderBy: { seq: 'asc' }, limit, disableIdentityMap: true },
  );
  return rows.map((r) => ({
    seq: r.seq,
    eventId: r.eventId,
    type: r.type,
    source: r.source,
    eventTime: r.eventTime.toISOString(),
    receivedAt: r.receivedAt.toISOString(),
    applied: r.applied,
    reason: r.reason,
    data: r.data ?? null,
  }));
}

/**
 * Upserts the video (only if `video.version` is higher than the stored one) and appends its
 * history records (ignoring those already stored), in one transaction.
 * Returns whether the row was written (false: the stored version was already as new).
 */
export async function saveVideo(em: EntityManager, video: VideoState, records: HistoryRecord[]): Promise<boolean> {
  return em.transactional(async (tx) => {
    if (records.length > 0) {
      await tx
        .createQueryBuilder(VideoEventRecord)
        .insert(
          records.map((r) => ({
            videoId: video.videoId,
            seq: r.seq,
            eventId: r.eventId,
            type: r.type,
            source: r.source,
            eventTime: new Date(r.eventTime),
            receivedAt: new Date(r.receivedAt),
            applied: r.applied,
            reason: r.reason,
            data: r.data ?? null,
          })),
        )
        .onConflict(['videoId', 'seq'])
        .ignore()
        .execute();
    }
    const result = await tx
      .createQueryBuilder(Video)
      .insert({
        videoId: video.videoId,
        userId: video.userId,
        fileName: video.fileName,
        status: video.status,
        progress: video.progress,
        imagesUrl: video.imagesUrl,
        frameCount: video.frameCount,
        error: video.error,
        createdAt: new Date(video.createdAt),
        updatedAt: new Date(video.updatedAt),
        completedAt: date(video.completedAt),
        stalled: video.stalled,
        stalledSince: date(video.stalledSince),
        deadline: date(video.deadline),
        lastEventAt: date(video.lastEventAt),
        reprocessAttempts: video.reprocessAttempts,
        lastAlertAt: date(video.lastAlertAt),
        version: video.version,
      })
      .onConflict('videoId')
      .merge()
      .where({ version: { $lt: video.version } })
      .execute<{ affectedRows: number }>('run');
    return result.affectedRows > 0;
  });
}

/** Ids of the video's most recent events, oldest first (for dedupe after a workflow restarts). */
export async function findRecentEventIds(em: EntityManager, videoId: string, limit = MAX_REMEMBERED_EVENT_IDS): Promise<string[]> {
  const rows = await em.find(
    VideoEventRecord,
    { videoId },
    { fields: ['eventId'], orderBy: { seq: 'desc' }, limit, disableIdentityMap: true },
  );
  return [...new Set(rows.map((r) => r.eventId).reverse())];
}

/**
 * Reads and writes of the projection. Writes are idempotent and never move a video backwards:
 * the row is replaced only by a higher version, history records are keyed by (video, seq).
 */
import { raw, ValidationError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RunStart } from '../activities/index.js';
import type { VideoListQuery } from '../domain/video-list.js';
import { MAX_REMEMBERED_EVENT_IDS, type HistoryRecord, type VideoState } from '../domain/video.js';
import { Video, VideoEventRecord } from './entities.js';
import { isDataRefused } from './errors.js';
import { announceChange } from './video-changes.js';
import type { Orm } from './index.js';
import { rowMapping } from './rows.js';

/** Every write of a video's row takes the next place in the order of changes. */
const NEXT_CHANGE = raw<number>(`nextval('videos_change_seq_seq')`);

// Typed with the domain's types: the compiler checks that each entity has exactly their fields
// (besides the row's place in the order of changes, which the database assigns on every write).
const videoRows = (em: EntityManager) => {
  const rows = rowMapping(em, Video);
  return {
    toState(row: Video): VideoState {
      const { changeSeq: _, runId: _run, runBase: _base, ...video } = rows.toDomain(row);
      return video;
    },
    toRow: (video: VideoState, run?: RunStart) => ({
      ...rows.toRow({ ...video, changeSeq: NEXT_CHANGE, runId: null, runBase: null }),
      // What the run started from is stored as it was loaded (JSON), not converted like the row's columns.
      runId: run?.runId ?? null,
      runBase: run?.base ?? null,
    }),
  };
};

const historyRows = (em: EntityManager) => {
  const rows = rowMapping(em, VideoEventRecord);
  return {
    toRecord(row: VideoEventRecord): HistoryRecord {
      const { videoId: _, ...record } = rows.toDomain(row);
      return record;
    },
    toRow: (videoId: string, record: HistoryRecord) => rows.toRow({ videoId, ...record }),
  };
};

export async function findVideo(em: EntityManager, videoId: string): Promise<VideoState | null> {
  const row = await em.findOne(Video, { videoId }, { disableIdentityMap: true });
  return row ? videoRows(em).toState(row) : null;
}

/** The video's history, oldest first: up to `limit` records after `afterSeq` (0: from the start). */
export async function findHistory(em: EntityManager, videoId: string, limit = 500, afterSeq = 0): Promise<HistoryRecord[]> {
  const rows = await em.find(
    VideoEventRecord,
    { videoId, seq: { $gt: afterSeq } },
    { orderBy: { seq: 'asc' }, limit, disableIdentityMap: true },
  );
  const history = historyRows(em);
  return rows.map((row) => history.toRecord(row));
}

/** Where a listing's page starts: after this video, in the listing's order. */
export interface ListPosition {
  createdAt: string;
  videoId: string;
}

/**
 * Up to `limit` videos of a listing, newest first (created_at desc, video_id desc), after
 * `after` when given. A keyset (a row comparison, which the listing indexes in entities.ts
 * answer as an index range) instead of an offset: a page costs the same however deep it is, and
 * rows inserted meanwhile neither repeat nor skip an item on the next page.
 */
export async function listVideos(em: EntityManager, query: VideoListQuery, after: ListPosition | null, limit: number): Promise<VideoState[]> {
  const created = {
    ...(query.createdAfter === undefined ? {} : { $gte: new Date(query.createdAfter) }),
    ...(query.createdBefore === undefined ? {} : { $lt: new Date(query.createdBefore) }),
  };
  // A query builder's plain rows, not entities: the page is only read, and building 21 managed
  // entities cost more than the rest of the request (bench/list-videos.ts).
  const rows = await em
    .createQueryBuilder(Video)
    .select('*')
    .where({
      ...(query.owner === null ? {} : { userId: query.owner }),
      ...(query.statuses === undefined ? {} : { status: { $in: query.statuses } }),
      ...(query.stalled === undefined ? {} : { stalled: query.stalled }),
      ...(Object.keys(created).length === 0 ? {} : { createdAt: created }),
      ...(after === null ? {} : { [raw('(created_at, video_id) < (?, ?)', [new Date(after.createdAt), after.videoId])]: [] }),
    })
    .orderBy({ createdAt: 'desc', videoId: 'desc' })
    .limit(limit)
    .execute<Video[]>('all');
  const videos = videoRows(em);
  return rows.map((row) => videos.toState(row));
}

/**
 * Videos whose rows changed after `afterSeq` in the order of changes, oldest change first, with
 * their place in it (a live stream of many videos resuming after the last change it sent).
 */
export async function findChangedVideos(
  em: EntityManager,
  owner: string | null,
  afterSeq: number,
  limit: number,
): Promise<Array<{ video: VideoState; changeSeq: number }>> {
  const rows = await em
    .createQueryBuilder(Video)
    .select('*')
    .where({ ...(owner === null ? {} : { userId: owner }), changeSeq: { $gt: afterSeq } })
    .orderBy({ changeSeq: 'asc' })
    .limit(limit)
    .execute<Video[]>('all');
  const videos = videoRows(em);
  return rows.map((row) => ({ video: videos.toState(row), changeSeq: Number(row.changeSeq) }));
}

/**
 * Upserts the video (only if `video.version` is higher than the stored one) and appends its
 * history records (ignoring those already stored), in one transaction; a written row is
 * announced to the live streams (delivered when the transaction commits).
 * Returns whether the row was written (false: the stored version was already as new).
 *
 * A run's own lines are its to write again (`run`, when the row is still that run's: past what it
 * started from). A workflow task that wrote and was then lost (its worker killed) is run again from
 * the run's start, with the signals that came meanwhile too: its lines can differ from the lost
 * attempt's, and the run's history is what Temporal recorded, so they replace them (the fault suite
 * saw an event applied twice and two lost when the lost attempt's lines were kept). Lines written
 * by completed tasks of the run are written again the same (replay is deterministic).
 */
export async function saveVideo(em: EntityManager, video: VideoState, records: HistoryRecord[], run?: RunStart): Promise<boolean> {
  return em.transactional(async (tx) => {
    let replaced = 0;
    if (records.length > 0 && run) {
      const seqs = records.map((r) => r.seq);
      // tx.execute: in this transaction (a connection's own execute would take a second pooled
      // connection, outside it; ten writes at once then held all ten and waited for an eleventh).
      const deleted = await tx.execute<{ affectedRows: number }>(
        `delete from video_events e where e.video_id = ? and e.seq > ? and e.seq between ? and ?
           and exists (select 1 from videos v where v.video_id = e.video_id and v.run_id = ?)`,
        [video.videoId, run.base?.version ?? 0, Math.min(...seqs), Math.max(...seqs), run.runId],
        'run',
      );
      replaced = deleted.affectedRows;
    }
    if (records.length > 0) {
      const history = historyRows(tx);
      await tx
        .createQueryBuilder(VideoEventRecord)
        .insert(records.map((record) => history.toRow(video.videoId, record)))
        .onConflict(['videoId', 'seq'])
        .ignore()
        .execute();
    }
    const result = await tx
      .createQueryBuilder(Video)
      .insert(videoRows(tx).toRow(video, run))
      .onConflict('videoId')
      .merge()
      // Newer; or, when this write replaced its run's own lines, as new too (the lost attempt's row).
      .where({ version: replaced > 0 ? { $lte: video.version } : { $lt: video.version } })
      .execute<{ affectedRows: number }>('run');
    if (result.affectedRows === 0) return false;
    await announceChange(tx, video.videoId);
    return true;
  });
}

/** Ids of the video's most recent events (up to its version `upTo`, if given), oldest first (for dedupe after a workflow restarts). */
export async function findRecentEventIds(em: EntityManager, videoId: string, limit = MAX_REMEMBERED_EVENT_IDS, upTo?: number): Promise<string[]> {
  const rows = await em.find(
    VideoEventRecord,
    { videoId, ...(upTo !== undefined && { seq: { $lte: upTo } }) },
    { fields: ['eventId'], orderBy: { seq: 'desc' }, limit, disableIdentityMap: true },
  );
  return [...new Set(rows.map((r) => r.eventId).reverse())];
}

/** How many videos are stalled now (a partial index answers it: few videos are stalled at a time). */
export function countStalledVideos(em: EntityManager): Promise<number> {
  return em.count(Video, { stalled: true });
}

/**
 * The projection as the worker's activities use it (their ProjectionStore): each call in a fresh
 * context of its own, since activities run concurrently.
 */
export function createProjectionStore(orm: Orm) {
  return {
    async load(videoId: string, runId?: string): Promise<{ video: VideoState; seenEventIds: string[] } | null> {
      const em = orm.em.fork();
      const row = await em.findOne(Video, { videoId }, { disableIdentityMap: true });
      if (!row) return null;
      if (runId !== undefined && row.runId === runId) {
        // This run wrote the row: its first task is running again. It starts again from what it started from.
        const base = row.runBase;
        return base && { video: base, seenEventIds: await findRecentEventIds(em, videoId, undefined, base.version) };
      }
      return { video: videoRows(em).toState(row), seenEventIds: await findRecentEventIds(em, videoId) };
    },
    save: (video: VideoState, records: HistoryRecord[], run?: RunStart) => saveVideo(orm.em.fork(), video, records, run),
    /** Postgres (or MikroORM's own checks) refused the data itself: retrying cannot help. */
    isRefused: (err: unknown) => isDataRefused(err) || err instanceof ValidationError,
  };
}

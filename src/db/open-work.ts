/**
 * What is still open according to the projection: videos not finished, webhook deliveries not
 * settled. Read when Temporal's persistence was lost, to start their workflows again
 * (`vidproc rebuild-workflows`, src/processes/rebuild-workflows.ts). Both are keysets on the
 * primary key, so a run that stopped resumes after the last id it handled, and rows written
 * meanwhile are neither repeated nor skipped. The filter on status is not indexed: one run reads
 * the primary key once, which is acceptable for a restore (an index for it would cost every write).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { VideoStatus } from '../domain/video.js';
import { Video, WebhookDeliveryRow } from './entities.js';

/** Up to `limit` ids of videos in one of `statuses`, in id order, after `after` (exclusive). */
export async function findOpenVideoIds(em: EntityManager, statuses: readonly VideoStatus[], after: string | null, limit: number): Promise<string[]> {
  const rows = await em
    .createQueryBuilder(Video)
    .select('videoId')
    .where({ status: { $in: [...statuses] }, ...(after === null ? {} : { videoId: { $gt: after } }) })
    .orderBy({ videoId: 'asc' })
    .limit(limit)
    .execute<Array<Pick<Video, 'videoId'>>>('all');
  return rows.map((row) => row.videoId);
}

/** Up to `limit` ids of webhook deliveries still `pending` (being retried), in id order, after `after`. */
export async function findPendingDeliveryIds(em: EntityManager, after: string | null, limit: number): Promise<string[]> {
  const rows = await em
    .createQueryBuilder(WebhookDeliveryRow)
    .select('id')
    .where({ status: 'pending', ...(after === null ? {} : { id: { $gt: after } }) })
    .orderBy({ id: 'asc' })
    .limit(limit)
    .execute<Array<Pick<WebhookDeliveryRow, 'id'>>>('all');
  return rows.map((row) => row.id);
}

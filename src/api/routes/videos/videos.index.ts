import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { findHistory, listVideos as listVideoPage } from '../../../db/video-store.js';
import { publicVideo, type LinkOpener } from '../../../domain/public-video.js';
import { listOwner, type VideoListQuery } from '../../../domain/video-list.js';
import { toView, type HistoryRecord, type Principal, type VideoState } from '../../../domain/video.js';
import type { UploadLinker } from '../../../storage/index.js';
import { VideoOwnedByAnotherUserError, type VideoGateway } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import type { Cursors } from '../../lib/cursor.js';
import type { FinalViews } from '../../lib/final-views.js';
import type { LiveViews } from '../../lib/live-views.js';
import { keysetPage } from '../../lib/paging.js';
import { HttpProblem } from '../../lib/problem.js';
import { videoResponse } from '../../lib/video-response.js';
import { readReadableVideo } from './read-video.js';
import { getVideo, getVideoEvents, listVideos, registerVideo } from './videos.routes.js';

export interface VideosDeps {
  videos: VideoGateway;
  orm: MikroORM;
  /** Makes the images link one that opens (presigned), for every video the API shows. */
  openLink: LinkOpener;
  /** Signs and reads the paging cursors of every list. */
  cursors: Cursors;
  /** Presigned upload URLs for a registered video's file (direct upload); absent: none offered. */
  uploadLink?: UploadLinker;
  /** Finished videos' views, kept in memory (FINAL_VIEW_CACHE_SIZE). */
  finalViews: FinalViews;
  /** The workflow queries of reads, shared and reused for LIVE_VIEW_MAX_AGE. */
  liveViews: LiveViews;
}

/** Positions of the keyset cursors: a listing's [createdAt, videoId], a history's [seq]. */
const listingPosition = z.tuple([z.string(), z.string()]);
const historyPosition = z.tuple([z.number().int().min(0)]);

export function createVideosRouter({ videos, orm, openLink, uploadLink, cursors, finalViews, liveViews }: VideosDeps) {
  const readable = (principal: Principal, videoId: string) => readReadableVideo({ em: orm.em, finalViews, liveViews }, principal, videoId);

  return createRouter()
    .openapi(registerVideo, async (c) => {
      const { videoId = randomUUID(), fileName } = c.req.valid('json');
      const principal = c.get('principal');
      try {
        const { created, view } = await videos.register(videoId, principal.userId, fileName).finally(() =>
          // This process's next read of the video shows the registration (not a view from before it).
          liveViews.forget(videoId),
        );
        // An upload URL only while the video waits for its file: later, a PUT would replace what is processed.
        const upload = uploadLink && view.status === 'uploaded' ? await uploadLink(videoId) : undefined;
        const body = { ...(await publicVideo(view, openLink)), ...(upload && { uploadUrl: upload.url, uploadUrlExpiresAt: upload.expiresAt }) };
        return c.json(body, created ? 201 : 200, { Location: `/v1/videos/${videoId}` });
      } catch (err) {
        if (err instanceof VideoOwnedByAnotherUserError) {
          throw new HttpProblem(409, `video "${videoId}" is registered by another user`);
        }
        throw err;
      }
    })
    .openapi(getVideo, async (c) => {
      const { videoId } = c.req.valid('param');
      const { view, source, ageMs, maxAgeMs, fallback, memo } = await readable(c.get('principal'), videoId);
      // Made once per view kept in memory (and per signing window of its link), not per read.
      const { body, etag } = await videoResponse(view, openLink, memo);
      return c.body(body, 200, {
        'Content-Type': 'application/json',
        ETag: etag,
        'X-Status-Source': source,
        'X-Status-Age': String(Math.floor(ageMs)),
        ...(maxAgeMs === null ? {} : { 'X-Status-Max-Age': String(maxAgeMs) }),
        ...(fallback === undefined ? {} : { 'X-Status-Fallback': fallback }),
      });
    })
    .openapi(listVideos, async (c) => {
      const { userId, status, limit, cursor, ...filter } = c.req.valid('query');
      const principal = c.get('principal');
      const whose = listOwner(principal, userId);
      if ('refused' in whose) throw new HttpProblem(400, whose.refused);
      const query: VideoListQuery = { owner: whose.owner, statuses: status, ...filter };
      const page = await keysetPage({
        cursors,
        query: { route: 'videos', caller: principal.userId, ...query },
        cursor,
        limit,
        position: listingPosition,
        positionOf: (video: VideoState): [string, string] => [video.createdAt, video.videoId],
        fetch: (after, n) => listVideoPage(orm.em, query, after && { createdAt: after[0], videoId: after[1] }, n),
      });
      const items = await Promise.all(page.items.map((video) => publicVideo(toView(video), openLink)));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    })
    .openapi(getVideoEvents, async (c) => {
      const { videoId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const principal = c.get('principal');
      await readable(principal, videoId);
      const page = await keysetPage({
        cursors,
        query: { route: 'video-events', caller: principal.userId, videoId },
        cursor,
        limit,
        position: historyPosition,
        positionOf: (record: HistoryRecord): [number] => [record.seq],
        fetch: (after, n) => findHistory(orm.em, videoId, n, after?.[0]),
      });
      return c.json({ videoId, events: page.items, nextCursor: page.nextCursor }, 200);
    });
}

import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { MikroORM } from '@mikro-orm/postgresql';
import { findHistory, listVideos as listVideoPage } from '../../../db/video-store.js';
import { publicVideo, type LinkOpener } from '../../../domain/public-video.js';
import { listOwner, type VideoListQuery } from '../../../domain/video-list.js';
import { canRead, toView, type HistoryRecord, type Principal, type VideoState } from '../../../domain/video.js';
import { VideoOwnedByAnotherUserError, type VideoGateway } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import type { Cursors } from '../../lib/cursor.js';
import { jsonETag } from '../../lib/etag.js';
import { keysetPage } from '../../lib/paging.js';
import { HttpProblem } from '../../lib/problem.js';
import { readVideo } from './read-video.js';
import { getVideo, getVideoEvents, listVideos, registerVideo } from './videos.routes.js';

export interface VideosDeps {
  videos: VideoGateway;
  orm: MikroORM;
  queryTimeoutMs: number;
  /** Makes the images link one that opens (presigned), for every video the API shows. */
  openLink: LinkOpener;
  /** Signs and reads the paging cursors of every list. */
  cursors: Cursors;
}

const notFound = (videoId: string) => new HttpProblem(404, `no video with id "${videoId}"`);

/** Positions of the keyset cursors: a listing's [createdAt, videoId], a history's [seq]. */
const listingPosition = z.tuple([z.string(), z.string()]);
const historyPosition = z.tuple([z.number().int().min(0)]);

export function createVideosRouter({ videos, orm, queryTimeoutMs, openLink, cursors }: VideosDeps) {
  /** The video if this principal may read it; unknown and not-yours look the same (404). */
  const readable = async (principal: Principal, videoId: string) => {
    const found = await readVideo({ videos, em: orm.em, queryTimeoutMs }, videoId);
    if (!found || !canRead(principal, found.view)) throw notFound(videoId);
    return found;
  };

  return createRouter()
    .openapi(registerVideo, async (c) => {
      const { videoId = randomUUID(), fileName } = c.req.valid('json');
      const principal = c.get('principal');
      try {
        const { created, view } = await videos.register(videoId, principal.userId, fileName);
        return c.json(await publicVideo(view, openLink), created ? 201 : 200, { Location: `/v1/videos/${videoId}` });
      } catch (err) {
        if (err instanceof VideoOwnedByAnotherUserError) {
          throw new HttpProblem(409, `video "${videoId}" is registered by another user`);
        }
        throw err;
      }
    })
    .openapi(getVideo, async (c) => {
      const { videoId } = c.req.valid('param');
      const { view, source } = await readable(c.get('principal'), videoId);
      const video = await publicVideo(view, openLink);
      return c.json(video, 200, { 'X-Status-Source': source, ETag: jsonETag(video) });
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

import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { findHistory } from '../../../db/video-store.js';
import { publicVideo, type LinkOpener } from '../../../domain/public-video.js';
import type { Principal } from '../../../domain/video.js';
import type { UploadLinker } from '../../../storage/index.js';
import { VideoOwnedByAnotherUserError, type VideoGateway } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import type { Cursors } from '../../lib/cursor.js';
import { HttpProblem } from '../../lib/problem.js';
import { readReadableVideo } from './read-video.js';
import { getVideo, getVideoEvents, registerVideo } from './videos.routes.js';

export interface VideosDeps {
  videos: VideoGateway;
  orm: MikroORM;
  queryTimeoutMs: number;
  /** Makes the images link one that opens (presigned), for every video the API shows. */
  openLink: LinkOpener;
  /** Signs and reads the paging cursors of every list. */
  cursors: Cursors;
  /** Presigned upload URLs for a registered video's file (direct upload); absent: none offered. */
  uploadLink?: UploadLinker;
}

export function createVideosRouter({ videos, orm, queryTimeoutMs, openLink, uploadLink }: VideosDeps) {
  const readable = (principal: Principal, videoId: string) => readReadableVideo({ videos, em: orm.em, queryTimeoutMs }, principal, videoId);

  return createRouter()
    .openapi(registerVideo, async (c) => {
      const { videoId = randomUUID(), fileName } = c.req.valid('json');
      const principal = c.get('principal');
      try {
        const { created, view } = await videos.register(videoId, principal.userId, fileName);
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
      const { view, source } = await readable(c.get('principal'), videoId);
      return c.json(await publicVideo(view, openLink), 200, { 'X-Status-Source': source });
    })
    .openapi(getVideoEvents, async (c) => {
      const { videoId } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      await readable(c.get('principal'), videoId);
      return c.json({ videoId, events: await findHistory(orm.em, videoId, limit) }, 200);
    });
}

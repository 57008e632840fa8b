/**
 * Live updates without polling (Server-Sent Events). A stream follows the projection's changes
 * through this process's LiveVideos (Postgres LISTEN/NOTIFY, so every API instance sees every
 * change); each view goes out once, in version order, presented as every API answer is.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { findChangedVideos } from '../../../db/video-store.js';
import { publicVideo, type LinkOpener } from '../../../domain/public-video.js';
import { inListing, listOwner, type VideoListQuery } from '../../../domain/video-list.js';
import { isTerminal, toView, type VideoState, type VideoView } from '../../../domain/video.js';
import type { VideoGateway } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import { HttpProblem } from '../../lib/problem.js';
import type { FinalViews } from '../../lib/final-views.js';
import type { LiveListener, LiveVideos } from '../../lib/live-videos.js';
import type { LiveViews } from '../../lib/live-views.js';
import { readReadableVideo } from '../videos/read-video.js';
import { streamVideo, streamVideos } from './streams.routes.js';

export interface StreamsDeps {
  videos: VideoGateway;
  orm: MikroORM;
  openLink: LinkOpener;
  live: LiveVideos;
  /** A comment this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /**
   * The longest a stream stays open (SSE_MAX_DURATION; default DEFAULT_STREAM_MAX_MS): then it
   * ends and the client reconnects with Last-Event-ID, missing nothing. Bounds what one connection
   * holds, lets streams move to new API instances, and has the token checked again.
   */
  streamMaxMs?: number;
  finalViews: FinalViews;
  liveViews: LiveViews;
}

export const DEFAULT_STREAM_MAX_MS = 60 * 60_000;

/** Writes events one after another and keeps the stream open until it ends, the client leaves, or `maxMs` passes. */
function session(stream: SSEStreamingApi, heartbeatMs: number, maxMs: number) {
  let chain = Promise.resolve();
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let ended = false;
  const end = () => {
    ended = true;
    finish();
  };
  stream.onAbort(end);
  const heartbeat = setInterval(() => {
    chain = chain
      .then(async () => {
        if (!ended) await stream.write(': keep-alive\n\n');
      })
      .catch(end);
  }, heartbeatMs);
  const expiry = setTimeout(end, maxMs);
  return {
    /** Queues a write after the ones before it. */
    send(write: () => Promise<void>) {
      chain = chain.then(() => (ended ? undefined : write())).catch(end);
    },
    end,
    get ended() {
      return ended;
    },
    async done() {
      await finished;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      await chain;
    },
  };
}

/**
 * A resuming stream of many videos starts this many changes before its Last-Event-ID: changes
 * take their place in the order when written but arrive when committed, so a change written just
 * before the last one sent may have committed after it. A repeated view is harmless (its version says so).
 */
const RESUME_OVERLAP = 1_000;
/** Changes read per page while catching up. */
const CATCH_UP_PAGE = 500;

export function createStreamsRouter(deps: StreamsDeps) {
  const { orm, openLink, live, heartbeatMs, streamMaxMs = DEFAULT_STREAM_MAX_MS } = deps;

  const router = createRouter();

  /** Every change of the caller's videos (an operator's: everyone's, or one user's) that the filter admits. */
  router.openapi(streamVideos, (c) => {
    const { userId, status, ...filter } = c.req.valid('query');
    const lastEventId = c.req.valid('header')['last-event-id'];
    const whose = listOwner(c.get('principal'), userId);
    if ('refused' in whose) throw new HttpProblem(400, whose.refused);
    const query: VideoListQuery = { owner: whose.owner, statuses: status, ...filter };

    return streamSSE(c, async (stream) => {
      const s = session(stream, heartbeatMs, streamMaxMs);
      /** The videos this stream showed in the filter: one that leaves it gets its leaving event. */
      const shown = new Set<string>();
      /** The newest version sent per video: nothing older, nothing twice. */
      const sentVersion = new Map<string, number>();
      let lastSeq = lastEventId === undefined ? null : Number(lastEventId);
      const offer = (video: VideoState, changeSeq: number) =>
        s.send(async () => {
          const inside = inListing(video, query);
          if (!inside && !shown.has(video.videoId)) return;
          if ((sentVersion.get(video.videoId) ?? -1) >= video.version) return;
          sentVersion.set(video.videoId, video.version);
          if (inside) shown.add(video.videoId);
          else shown.delete(video.videoId);
          lastSeq = Math.max(lastSeq ?? 0, changeSeq);
          await stream.writeSSE({ event: 'video', id: String(changeSeq), data: JSON.stringify(await publicVideo(toView(video), openLink)) });
        });
      /** Sends what changed since `after` (oldest first), a page at a time. */
      const catchUp = (after: number) =>
        s.send(async () => {
          for (let from = after; !s.ended; ) {
            const page = await findChangedVideos(orm.em.fork(), query.owner, from, CATCH_UP_PAGE);
            for (const { video, changeSeq } of page) offer(video, changeSeq);
            if (page.length < CATCH_UP_PAGE) return;
            from = page.at(-1)!.changeSeq;
          }
        });
      const unfollow = live.follow(query.owner === null ? { everyone: true } : { userId: query.owner }, {
        change: (change, read) =>
          s.send(async () => {
            const row = await read();
            if (row) offer(row, change.changeSeq);
          }),
        resync: () => {
          if (lastSeq !== null) catchUp(Math.max(0, lastSeq - RESUME_OVERLAP));
        },
        end: s.end,
      });
      if (lastSeq !== null) catchUp(Math.max(0, lastSeq - RESUME_OVERLAP));
      try {
        await s.done();
      } finally {
        unfollow();
      }
    });
  });

  router.openapi(streamVideo, async (c) => {
    const { videoId } = c.req.valid('param');
    const lastEventId = c.req.valid('header')['last-event-id'];
    const principal = c.get('principal');
    const current = async () => (await readReadableVideo({ ...deps, em: orm.em }, principal, videoId)).view;

    // Follow before the first read, so that no change between the two is lost: until the stream
    // runs, what arrives waits in `pending`.
    let listener: LiveListener | undefined;
    const pending: Array<(l: LiveListener) => void> = [];
    const unfollow = live.follow(
      { videoId },
      {
        change: (change, read) => (listener ? listener.change(change, read) : pending.push((l) => l.change(change, read))),
        resync: () => (listener ? listener.resync() : pending.push((l) => l.resync())),
        end: () => (listener ? listener.end() : pending.push((l) => l.end())),
      },
    );
    let first: VideoView;
    try {
      first = await current();
    } catch (err) {
      unfollow();
      throw err;
    }
    // A client that already has a finished video's final event is told not to reconnect (SSE: 204).
    if (isTerminal(first.status) && lastEventId !== undefined && Number(lastEventId) >= first.version) {
      unfollow();
      return c.body(null, 204);
    }

    return streamSSE(c, async (stream) => {
      const s = session(stream, heartbeatMs, streamMaxMs);
      let sent = lastEventId === undefined ? -1 : Number(lastEventId);
      /** A view newer than the last one sent goes out; a finished video's final event ends the stream. */
      const offer = (view: VideoView) =>
        s.send(async () => {
          if (view.version > sent) {
            sent = view.version;
            await stream.writeSSE({ event: 'video', id: String(view.version), data: JSON.stringify(await publicVideo(view, openLink)) });
          }
          if (isTerminal(view.status) && view.version <= sent) s.end();
        });
      listener = {
        change: (change, read) => {
          if (change.version <= sent) return;
          s.send(async () => {
            const row = await read();
            if (row) offer(toView(row));
          });
        },
        resync: () => s.send(async () => offer(await current())),
        end: s.end,
      };
      offer(first);
      for (const replay of pending.splice(0)) replay(listener);
      try {
        await s.done();
      } finally {
        unfollow();
      }
    });
  });

  return router;
}

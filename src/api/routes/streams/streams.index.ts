/**
 * Live updates without polling (Server-Sent Events). A stream follows the projection's changes
 * through this process's LiveVideos (Postgres LISTEN/NOTIFY, so every API instance sees every
 * change); each view goes out once, in version order, presented as every API answer is.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { publicVideo, type LinkOpener } from '../../../domain/public-video.js';
import { isTerminal, toView, type VideoView } from '../../../domain/video.js';
import type { VideoGateway } from '../../../temporal/video-gateway.js';
import { createRouter } from '../../lib/create-app.js';
import type { LiveListener, LiveVideos } from '../../lib/live-videos.js';
import { readReadableVideo } from '../videos/read-video.js';
import { streamVideo } from './streams.routes.js';

export interface StreamsDeps {
  videos: VideoGateway;
  orm: MikroORM;
  queryTimeoutMs: number;
  openLink: LinkOpener;
  live: LiveVideos;
  /** A comment this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

/** Writes events one after another and keeps the stream open until it ends or the client leaves. */
function session(stream: SSEStreamingApi, heartbeatMs: number) {
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
      await chain;
    },
  };
}

export function createStreamsRouter(deps: StreamsDeps) {
  const { orm, openLink, live, heartbeatMs } = deps;

  return createRouter().openapi(streamVideo, async (c) => {
    const { videoId } = c.req.valid('param');
    const lastEventId = c.req.valid('header')['last-event-id'];
    const principal = c.get('principal');
    const current = async () => (await readReadableVideo({ ...deps, em: orm.em.fork() }, principal, videoId)).view;

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
      const s = session(stream, heartbeatMs);
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
}

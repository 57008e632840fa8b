/**
 * What the tests of GET /v1/videos/{videoId} under load stand on (reads, overload): the harness (a
 * real worker on the shared dev server, the test database), the real video gateway, a token for
 * each of a few users, and videos of alice's put where a read finds them.
 */
import type { Api } from '../../src/api/app.js';
import { signDevToken } from '../../src/api/lib/auth.js';
import { findVideo } from '../../src/db/video-store.js';
import type { VideoState } from '../../src/domain/video.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { closeTestApis, startTestApi, type TestApi, type TestApiOverrides } from './api.js';
import { eventually, startHarness, type TemporalHarness } from './env.js';
import { ev, uniqueId } from './events.js';

export interface ReadFixture {
  h: TemporalHarness;
  videos: VideoGateway;
  /** An API on the harness and this gateway, with `overrides`. */
  startApi(overrides?: TestApiOverrides): TestApi;
  /** GET `path` as `user` (with that user's token), and `headers`. */
  get(app: Api, path: string, user: string, headers?: Record<string, string>): Promise<Response>;
  /** A token of `user`'s. */
  token(user: string): string;
  /** The video as Postgres has it, once `check` holds. */
  stored(videoId: string, check: (video: VideoState) => boolean): Promise<VideoState>;
  /** A video of alice's, processing, in Postgres (so a read asks its workflow). */
  inFlightVideo(): Promise<VideoState>;
  /** Closes the APIs started and the harness (for an afterAll). */
  stop(): Promise<void>;
}

/** `users`: each user's roles (say `{ alice: [], ops: ['operator'] }`). */
export async function startReadFixture(users: Record<string, string[]>): Promise<ReadFixture> {
  const h = await startHarness();
  const videos = createVideoGateway(h.client, { taskQueue: h.config.TEMPORAL_TASK_QUEUE });
  const tokens: Record<string, string> = {};
  for (const [user, roles] of Object.entries(users)) tokens[user] = await signDevToken(h.config.AUTH_JWT_SECRET!, user, roles);
  const token = (user: string) => {
    const found = tokens[user];
    if (!found) throw new Error(`no token for ${user}: the fixture was started for ${Object.keys(tokens).join(', ')}`);
    return found;
  };
  const stored = (videoId: string, check: (video: VideoState) => boolean) =>
    eventually(async () => {
      const video = await findVideo(h.orm.em.fork(), videoId);
      return video && check(video) ? video : undefined;
    });
  return {
    h,
    videos,
    startApi: (overrides = {}) => startTestApi(h, { videos, ...overrides }),
    get: (app, path, user, headers = {}) => Promise.resolve(app.request(path, { headers: { Authorization: `Bearer ${token(user)}`, ...headers } })),
    token,
    stored,
    async inFlightVideo() {
      const videoId = uniqueId();
      await videos.register(videoId, 'alice');
      await videos.sendEvent(ev.started(videoId));
      return stored(videoId, (v) => v.status === 'processing');
    },
    async stop() {
      await closeTestApis();
      await h.stop();
    },
  };
}

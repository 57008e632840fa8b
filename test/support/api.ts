/**
 * The API for a test, on the real stack: the harness's gateway and database, live streams and the
 * finished views kept in memory over a real change feed (Postgres LISTEN/NOTIFY), workflow
 * answers shared and reused as configured by default, links as stored; any dependency overridable.
 */
import { createApi, type Api, type ApiDeps } from '../../src/api/app.js';
import { createAuthenticator } from '../../src/api/lib/auth.js';
import { createCursors } from '../../src/api/lib/cursor.js';
import { createFinalViews } from '../../src/api/lib/final-views.js';
import { createLiveVideos } from '../../src/api/lib/live-videos.js';
import { createLiveViews } from '../../src/api/lib/live-views.js';
import { loadConfig } from '../../src/config/env.js';
import { openVideoChangeFeed, type VideoChangeFeed } from '../../src/db/video-changes.js';
import { findVideo } from '../../src/db/video-store.js';
import { linksAsStored } from '../../src/domain/public-video.js';
import { createVideoGateway } from '../../src/temporal/video-gateway.js';
import { createWebhookGateway } from '../../src/temporal/webhook-gateway.js';
import { createEndpointUrlCheck } from '../../src/webhooks/endpoint-address.js';
import { testLogger, type TemporalHarness } from './env.js';

export interface TestApi {
  app: Api;
  deps: ApiDeps;
  /** The change feed its live streams and finished views follow. */
  feed: VideoChangeFeed;
  close(): Promise<void>;
}

const feeds = new Set<VideoChangeFeed>();

/** What a test may override: any dependency, and the query timeout of the default liveViews. */
export type TestApiOverrides = Partial<ApiDeps> & { queryTimeoutMs?: number };

export function startTestApi(h: TemporalHarness, { queryTimeoutMs = 2_000, ...overrides }: TestApiOverrides = {}): TestApi {
  const feed = openVideoChangeFeed(h.config.DATABASE_URL, testLogger);
  feeds.add(feed);
  const orm = overrides.orm ?? h.orm;
  const videos = overrides.videos ?? createVideoGateway(h.client, { taskQueue: h.config.temporal.taskQueue });
  const defaults = loadConfig({});
  const deps: ApiDeps = {
    videos,
    orm,
    finalViews: createFinalViews(feed, { max: defaults.FINAL_VIEW_CACHE_SIZE }),
    liveViews: createLiveViews(videos.liveStatus, {
      maxAgeMs: defaults.LIVE_VIEW_MAX_AGE,
      timeoutMs: queryTimeoutMs,
      maxConcurrent: defaults.API_MAX_CONCURRENT_QUERIES,
      patienceMs: defaults.LIVE_VIEW_PATIENCE,
    }),
    openLink: linksAsStored,
    cursors: createCursors(),
    live: createLiveVideos(feed, (videoId) => findVideo(orm.em.fork(), videoId)),
    heartbeatMs: 15_000,
    webhookDeliveries: createWebhookGateway(h.client, { taskQueue: h.config.temporal.taskQueue }),
    checkWebhookUrl: createEndpointUrlCheck(h.config.webhooks.allowPrivate),
    authenticate: createAuthenticator({ secret: h.config.AUTH_JWT_SECRET }),
    readiness: {},
    logger: testLogger,
    ...overrides,
  };
  return {
    app: createApi(deps),
    deps,
    feed,
    async close() {
      deps.live.endAll();
      feeds.delete(feed);
      await feed.close();
    },
  };
}

/** Closes what every startTestApi of this file opened (for an afterAll). */
export async function closeTestApis(): Promise<void> {
  await Promise.all([...feeds].map((feed) => feed.close()));
  feeds.clear();
}

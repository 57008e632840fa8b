/** The API process: the HTTP API on PORT, with its readiness checks. */
import type { ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { openBrokerReadiness } from '../amqp/readiness.js';
import { createApi } from '../api/app.js';
import { createAuthenticator } from '../api/lib/auth.js';
import { createCursors } from '../api/lib/cursor.js';
import { createFinalViews } from '../api/lib/final-views.js';
import { createLiveVideos } from '../api/lib/live-videos.js';
import { createLiveViews } from '../api/lib/live-views.js';
import { postgresCheck, temporalCheck } from '../api/lib/readiness-checks.js';
import type { Config } from '../config/env.js';
import { connectDatabase } from '../db/index.js';
import { openVideoChangeFeed } from '../db/video-changes.js';
import { findVideo } from '../db/video-store.js';
import type { Logger } from '../logger.js';
import { observeOpenStreams } from '../metrics/api.js';
import { openStorage } from '../storage/index.js';
import { connectClient } from '../temporal/connection.js';
import { createVideoGateway } from '../temporal/video-gateway.js';
import { createWebhookGateway } from '../temporal/webhook-gateway.js';
import { createEndpointUrlCheck } from '../webhooks/endpoint-address.js';
import type { Running } from './running.js';

/**
 * The Node server's limits on slow clients (slowloris): a request's headers must arrive within
 * headersTimeout and the whole request within requestTimeout (the response is not bounded: live
 * streams stay open), an idle keep-alive connection closes after keepAliveTimeout. Node checks
 * the first two every connectionsCheckingInterval (30 s by default), so it checks every second.
 */
export function serverTimeouts(http: Config['http']): ServerOptions {
  return {
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, http.headersTimeoutMs),
  };
}

/**
 * How long an API read waits for a free Postgres connection before it answers 503 (Retry-After):
 * a saturated pool sheds reads at once instead of piling them up behind it. The worker's writes
 * wait as long as their activity's timeout instead (a write that waits is not lost).
 */
const API_POOL_WAIT_MS = 2_000;

export async function startApi(config: Config, logger: Logger): Promise<Running & { url: string }> {
  const orm = await connectDatabase(config.DATABASE_URL, { poolWaitMs: API_POOL_WAIT_MS });
  const { connection, client } = await connectClient(config.temporal, { rejectQueriesWhenClosed: true });
  const broker = await openBrokerReadiness(config.AMQP_URL, logger);
  const changes = openVideoChangeFeed(config.DATABASE_URL, logger);
  const live = createLiveVideos(changes, (videoId) => findVideo(orm.em.fork(), videoId));
  const unobserveStreams = observeOpenStreams(() => live.open());
  const storage = openStorage(config.storage, logger.child({ component: 'storage' }));
  const videos = createVideoGateway(client, { taskQueue: config.temporal.taskQueue });
  const finalViews = createFinalViews(changes, { max: config.FINAL_VIEW_CACHE_SIZE });
  const app = createApi({
    videos,
    orm,
    finalViews,
    liveViews: createLiveViews(videos.liveStatus, {
      maxAgeMs: config.LIVE_VIEW_MAX_AGE,
      timeoutMs: config.TEMPORAL_QUERY_TIMEOUT_MS,
      maxConcurrent: config.API_MAX_CONCURRENT_QUERIES,
      patienceMs: config.LIVE_VIEW_PATIENCE,
    }),
    rateLimit: { limit: config.API_RATE_LIMIT, windowMs: config.API_RATE_LIMIT_WINDOW },
    openLink: storage.openLink,
    uploadLink: storage.uploadLink,
    cursors: createCursors(config.API_CURSOR_SECRET ?? config.AUTH_JWT_SECRET),
    live,
    heartbeatMs: config.SSE_HEARTBEAT_INTERVAL,
    streamMaxMs: config.SSE_MAX_DURATION,
    http: { bodyLimitBytes: config.http.bodyLimitBytes, corsOrigins: config.http.corsOrigins },
    webhookDeliveries: createWebhookGateway(client, { taskQueue: config.temporal.taskQueue }),
    checkWebhookUrl: createEndpointUrlCheck(config.webhooks.allowPrivate),
    authenticate: createAuthenticator(config.auth),
    readiness: { postgres: postgresCheck(orm), rabbitmq: broker.check, temporal: temporalCheck(connection) },
    logger: logger.child({ component: 'api' }),
  });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST, serverOptions: serverTimeouts(config.http) }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
  });
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  logger.info({ url }, 'api listening');
  return {
    url,
    endpoints: { api: url, openapi: `${url}/openapi.json`, 'api reference': `${url}/docs` },
    async stop() {
      // Stop accepting connections; requests in flight finish first, live streams are ended.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      live.endAll();
      await closed;
      unobserveStreams();
      finalViews.close();
      await changes.close();
      await broker.close();
      storage.close();
      await connection.close();
      await orm.close();
    },
  };
}

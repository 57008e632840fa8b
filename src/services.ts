/**
 * The three process types (worker, bridge, api), each started from config and returning how to
 * stop it gracefully. `vidproc <name>` runs one; `vidproc dev` runs all three in one process.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createCommandPublisher } from './amqp/command-publisher.js';
import { openBrokerReadiness } from './amqp/readiness.js';
import { topologyNames } from './amqp/topology.js';
import { createApi } from './api/app.js';
import { createAuthenticator } from './api/lib/auth.js';
import { createBridge } from './bridge/consumer.js';
import { stallPolicyOf, type Config } from './config/env.js';
import { connectDatabase } from './db/index.js';
import type { Logger } from './logger.js';
import { postgresCheck, temporalCheck } from './readiness.js';
import { connectClient, connectWorker } from './temporal/connection.js';
import { installTemporalRuntime } from './temporal/runtime.js';
import { ensureSearchAttributes } from './temporal/search-attributes.js';
import { createVideoGateway } from './temporal/videos.js';
import { createVideoWorker } from './temporal/worker.js';

export interface Running {
  /** What it serves, for the start-up banner. */
  describe: Record<string, string>;
  stop(): Promise<void>;
}

/** Called by a part that can no longer work (its process should stop, and exit non-zero). */
export type Fatal = (reason: string) => void;

const temporalOf = (config: Config, address: string) => ({ ...config, address });

export async function startWorker(config: Config, address: string, logger: Logger, fatal: Fatal = () => {}): Promise<Running> {
  installTemporalRuntime(logger);
  const orm = await connectDatabase(config.DATABASE_URL);
  const { connection } = await connectClient(temporalOf(config, address));
  await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE, logger);
  await connection.close();
  const commands = await createCommandPublisher(config.AMQP_URL, config.AMQP_EXCHANGE, logger);
  const nativeConnection = await connectWorker(temporalOf(config, address));
  const worker = await createVideoWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    orm,
    policy: stallPolicyOf(config),
    commands,
    alerts: { logger: logger.child({ component: 'alerts' }), webhookUrl: config.ALERT_WEBHOOK_URL },
    ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
  });
  const running = worker.run();
  running.catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    fatal('worker failed');
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker running');
  return {
    describe: { worker: `task queue ${config.TEMPORAL_TASK_QUEUE} on ${address} (${config.TEMPORAL_NAMESPACE})` },
    async stop() {
      try {
        worker.shutdown(); // stops polling, then lets the tasks in flight finish
      } catch {
        // not running any more (it failed): nothing to drain
      }
      await running.catch(() => undefined);
      await nativeConnection.close();
      await commands.close();
      await orm.close();
    },
  };
}

export async function startBridge(config: Config, address: string, logger: Logger): Promise<Running> {
  const { connection, client } = await connectClient(temporalOf(config, address));
  const gateway = createVideoGateway(client, { taskQueue: config.TEMPORAL_TASK_QUEUE });
  const bridge = createBridge({ config, gateway, logger });
  await bridge.start();
  const names = topologyNames(config);
  return {
    describe: { bridge: `exchange ${names.exchange} -> queue ${names.queue} (dead letters: ${names.deadLetterQueue})` },
    async stop() {
      await bridge.stop();
      await connection.close();
    },
  };
}

export async function startApi(config: Config, address: string, logger: Logger): Promise<Running & { url: string }> {
  const orm = await connectDatabase(config.DATABASE_URL);
  const { connection, client } = await connectClient(temporalOf(config, address), { rejectQueriesWhenClosed: true });
  const broker = await openBrokerReadiness(config.AMQP_URL, logger);
  const app = createApi({
    videos: createVideoGateway(client, { taskQueue: config.TEMPORAL_TASK_QUEUE }),
    orm,
    queryTimeoutMs: config.TEMPORAL_QUERY_TIMEOUT_MS,
    authenticate: createAuthenticator({
      secret: config.AUTH_JWT_SECRET,
      jwksUrl: config.AUTH_JWKS_URL,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
    }),
    readiness: { postgres: postgresCheck(orm), rabbitmq: broker.check, temporal: temporalCheck(connection) },
    logger: logger.child({ component: 'api' }),
  });
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info: AddressInfo) =>
      resolve({ server: s, port: info.port }),
    );
  });
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  logger.info({ url }, 'api listening');
  return {
    url,
    describe: { api: url, openapi: `${url}/openapi.json` },
    async stop() {
      // Stop accepting connections; requests in flight finish first.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
      await connection.close();
      await orm.close();
    },
  };
}

/**
 * `vidproc dev`: everything for one machine in one process: an embedded Temporal dev server with
 * its Web UI (unless TEMPORAL_ADDRESS is set), migrations, worker, bridge and API; and, without
 * configured authentication, a secret made for the run and a token to try the API with.
 */
import { randomBytes } from 'node:crypto';
import { OPERATOR_ROLE, signDevToken } from '../api/lib/auth.js';
import { loadConfig } from '../config/env.js';
import { migrateDatabase } from '../db/index.js';
import { createLogger } from '../logger.js';
import { startMetricsServer } from '../metrics/server.js';
import { temporalSdkMetricsAddress } from '../metrics/temporal-sdk.js';
import { startApi } from '../processes/api.js';
import { startBridge } from '../processes/bridge.js';
import type { Running } from '../processes/running.js';
import { traceProcess } from '../processes/tracing.js';
import { startWorker } from '../processes/worker.js';
import { startDevServer } from '../temporal/dev-server.js';
import { installTemporalRuntime } from '../temporal/runtime.js';
import { runUntilSignal, type Part } from './supervisor.js';

const WEB_UI_PORT = 8233;

export async function runDev(): Promise<void> {
  const configured = loadConfig();
  // No way to verify tokens configured: a secret for this run (the derived token rules follow it).
  const devSecret = !configured.auth.secret && !configured.auth.jwksUrl;
  const cfg = devSecret ? loadConfig({ ...process.env, AUTH_JWT_SECRET: randomBytes(32).toString('base64url') }) : configured;
  const logger = createLogger(cfg.LOG_LEVEL).child({ process: 'dev' });
  installTemporalRuntime(logger, await temporalSdkMetricsAddress(cfg)); // before the dev server, which would install a default one

  const tracing = await traceProcess('dev', logger); // first in, last out (OTEL_* set: traced)
  const parts: Part[] = [() => Promise.resolve(tracing)];
  // One metrics endpoint for everything this process runs (worker, bridge, API).
  if (cfg.metrics.enabled) parts.push(() => startMetricsServer(cfg, logger));
  if (cfg.temporal.embedded) {
    const [ip, port] = cfg.temporal.address.split(':');
    parts.push(async () => {
      const server = await startDevServer({
        cliPath: cfg.TEMPORAL_CLI_PATH,
        ip,
        port: Number(port),
        ui: true,
        uiPort: WEB_UI_PORT,
        namespace: cfg.temporal.namespace,
      });
      return { endpoints: { temporal: server.address, 'temporal web ui': server.uiUrl ?? '' }, stop: () => server.stop() };
    });
  }
  parts.push(async () => {
    const applied = await migrateDatabase(cfg.DATABASE_URL);
    logger.info({ applied }, 'database ready');
    return { endpoints: { postgres: cfg.DATABASE_URL.replace(/:[^:@/]*@/, ':***@') }, stop: async () => {} };
  });
  parts.push((fatal) => startWorker(cfg, logger, fatal));
  parts.push(() => startBridge(cfg, logger));
  parts.push(() => startApi(cfg, logger));

  const token = devSecret ? await signDevToken(cfg.AUTH_JWT_SECRET!, 'dev-user', [OPERATOR_ROLE]) : undefined;
  await runUntilSignal(logger, parts, { banner: (running) => process.stdout.write(banner(running, token)), shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT });
}

/** Where everything is, and how to try it. */
function banner(running: Running[], token: string | undefined): string {
  const where = Object.assign({}, ...running.map((r) => r.endpoints)) as Record<string, string>;
  const lines = ['', 'vidproc is running:', ...Object.entries(where).map(([k, v]) => `  ${k.padEnd(16)} ${v}`)];
  if (token) {
    lines.push(
      '',
      'Dev token (user "dev-user", operator; valid 12h, signed with a secret made for this run):',
      `  export TOKEN=${token}`,
      'Try:',
      `  curl -s -X POST ${where.api}/v1/videos -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"videoId":"demo-1","fileName":"demo.mp4"}'`,
      `  curl -s ${where.api}/v1/videos/demo-1 -H "Authorization: Bearer $TOKEN"`,
    );
  }
  lines.push('', 'Stop with Ctrl-C.', '');
  return lines.join('\n');
}

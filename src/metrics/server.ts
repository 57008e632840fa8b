/**
 * The metrics endpoint: `GET /metrics` on METRICS_HOST:METRICS_PORT, a listener of its own in every
 * process (the API's public port does not serve it: the Ingress exposes that port to the
 * internet, while metrics are for the cluster's Prometheus only). In `vidproc dev` the one process
 * serves everything it runs here. One Part of the process (src/cli/supervisor.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/env.js';
import type { Logger } from '../logger.js';
import type { Running } from '../processes/running.js';
import { registry } from './registry.js';
import { temporalSdkMetrics } from './temporal-sdk.js';

export async function startMetricsServer(config: Pick<Config, 'metrics'>, logger: Logger): Promise<Running & { url: string }> {
  const { host, port } = config.metrics;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('metrics are at GET /metrics\n');
      return;
    }
    Promise.all([registry.metrics(), temporalSdkMetrics()]).then(
      ([own, sdk]) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(sdk ? `${own}\n${sdk}` : own);
      },
      (err: unknown) => {
        logger.error({ err }, 'could not collect the metrics');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('could not collect the metrics\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}/metrics`;
  logger.info({ url }, 'metrics listening');
  return {
    url,
    endpoints: { metrics: url },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

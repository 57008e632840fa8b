/**
 * The Temporal SDK's own metrics (task slots, schedule-to-start and poll latencies, the workflow
 * cache...) come from its Rust core, which serves them with a Prometheus exporter of its own on an
 * address of its own. So that a worker has one metrics port (one scrape target, one port in the
 * ServiceMonitor and the NetworkPolicy), that exporter listens on loopback and the metrics server
 * appends what it serves to vidproc's own metrics at each scrape (./server.ts). TEMPORAL_METRICS_ADDRESS
 * still picks the exporter's address (then it is also reachable there).
 */
import { createServer } from 'node:net';
import type { Config } from '../config/env.js';

let exporterUrl: string | undefined;

/** Where the SDK's exporter should listen: TEMPORAL_METRICS_ADDRESS, else a free loopback port (none with metrics off). */
export async function temporalSdkMetricsAddress(config: Pick<Config, 'TEMPORAL_METRICS_ADDRESS' | 'metrics'>): Promise<string | undefined> {
  if (config.TEMPORAL_METRICS_ADDRESS) return config.TEMPORAL_METRICS_ADDRESS;
  if (!config.metrics.enabled) return undefined;
  return `127.0.0.1:${await freeLoopbackPort()}`;
}

/** The SDK's exporter listens at `bindAddress` (host:port): the metrics server appends what it serves. */
export function includeTemporalSdkMetrics(bindAddress: string): void {
  const [host, port] = [bindAddress.slice(0, bindAddress.lastIndexOf(':')), bindAddress.slice(bindAddress.lastIndexOf(':') + 1)];
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  exporterUrl = `http://${reachable}:${port}/metrics`;
}

/**
 * The SDK's metrics in the Prometheus text format, or '' when this process runs no SDK exporter
 * or it does not answer (the process's own metrics are served all the same; the worker's
 * `temporal_*` series then go missing, which the dashboard shows as gaps).
 */
export async function temporalSdkMetrics(): Promise<string> {
  if (!exporterUrl) return '';
  try {
    const res = await fetch(exporterUrl, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

/** A port nothing listens on now (the SDK's exporter takes an address, not a listening socket). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

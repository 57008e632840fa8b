/** Routes the Temporal SDK's logs (worker, workflows, activities) into our structured logger. */
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime, type Logger as SdkLogger } from '@temporalio/worker';
import type { Logger } from '../logger.js';
import { includeTemporalSdkMetrics } from '../metrics/temporal-sdk.js';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function sdkLogger(logger: Logger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[LEVELS[level]](meta ?? {}, message);
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/** Prometheus naming: `_total` on counters, durations in seconds with the unit in the name. */
const PROMETHEUS = (bindAddress: string) => ({ bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true });

/**
 * Once per process, before the first worker or native connection. With `metricsAddress`
 * (`host:port`), the SDK's metrics are served there for Prometheus, and appended to the
 * process's own `/metrics` (src/metrics/temporal-sdk.ts): among them the worker's workflow cache
 * (`temporal_sticky_cache_size`, `temporal_sticky_cache_total_forced_eviction_total`,
 * `temporal_sticky_cache_miss_total`), its task slots and schedule-to-start latencies.
 */
export function installTemporalRuntime(logger: Logger, metricsAddress?: string): void {
  if (Runtime._instance) return;
  // No signal handlers of its own: our processes stop their parts in order on SIGTERM.
  Runtime.install({
    logger: sdkLogger(logger.child({ component: 'temporal' })),
    shutdownSignals: [],
    ...(metricsAddress ? { telemetryOptions: { metrics: { prometheus: PROMETHEUS(metricsAddress) } } } : {}),
  });
  if (metricsAddress) includeTemporalSdkMetrics(metricsAddress);
}

/**
 * Tracing as a part of a process (src/tracing/setup.ts): started before the others, so their
 * clients and connections are built traced, and stopped after them, exporting what is left.
 * Throws a ConfigError for a wrong OTEL_* variable before anything starts.
 */
import type { Logger } from '../logger.js';
import { startTracing } from '../tracing/setup.js';
import type { Running } from './running.js';

export async function traceProcess(role: string, logger: Logger): Promise<Running> {
  const tracing = await startTracing(role, logger.child({ component: 'tracing' }));
  return {
    endpoints: tracing ? { traces: `OTLP ${tracing.endpoint}` } : {},
    async stop() {
      await tracing?.shutdown();
    },
  };
}

/**
 * A process whose one part never finishes stopping, under the real supervisor (for
 * test/unit/supervisor.test.ts): prints `ready` once started, then waits for SIGTERM.
 */
import { runUntilSignal } from '../../src/cli/supervisor.js';
import { createLogger } from '../../src/logger.js';

const shutdownTimeoutMs = Number(process.argv[2]);
await runUntilSignal(
  createLogger('info'),
  [
    () => {
      // Running, it holds the event loop as a server or a connection would; stopping never ends.
      setInterval(() => undefined, 1_000);
      return Promise.resolve({ endpoints: { stuck: 'a part whose stop never ends' }, stop: () => new Promise<void>(() => undefined) });
    },
  ],
  { banner: () => process.stdout.write('ready\n'), ...(shutdownTimeoutMs > 0 ? { shutdownTimeoutMs } : {}) },
);

/**
 * The embedded Temporal dev server for `vidproc dev` and the tests: the Temporal CLI's
 * `temporal server start-dev`, with its Web UI and the video search attributes registered.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { videoSearchAttributes } from '../workflows/definitions.js';

/** The CLI installed by `npm install` (scripts/install-temporal-cli.sh). */
const projectCli = fileURLToPath(new URL('../../.tools/temporal/bin/temporal', import.meta.url));

/**
 * Where the Temporal CLI is: TEMPORAL_CLI_PATH, else `temporal` on PATH, else the project's own
 * copy; undefined means "let the SDK download it".
 */
export function findTemporalCli(explicit?: string, path = process.env.PATH ?? ''): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`TEMPORAL_CLI_PATH=${explicit} does not exist`);
    return explicit;
  }
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  return existsSync(projectCli) ? projectCli : undefined;
}

export interface DevServerOptions {
  cliPath?: string;
  ip?: string;
  port?: number;
  ui?: boolean;
  uiPort?: number;
  namespace?: string;
  /** Persist the dev server's state to this SQLite file (default: in memory). */
  dbFilename?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli(options.cliPath);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
      ...(options.ip ? { ip: options.ip } : {}),
      ...(options.port ? { port: options.port } : {}),
      ui: options.ui ?? false,
      ...(options.uiPort ? { uiPort: options.uiPort } : {}),
      namespace: options.namespace ?? 'default',
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: videoSearchAttributes,
      log: { format: 'json', level: 'warn' },
    },
  });
  const address = env.connection.options.address;
  return {
    address,
    uiUrl: options.ui ? `http://${options.ip ?? '127.0.0.1'}:${options.uiPort ?? 8233}` : undefined,
    stop: () => env.teardown(),
  };
}

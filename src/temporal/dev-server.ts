/**
 * The embedded Temporal dev server for `vidproc dev` and the tests: the Temporal CLI's
 * `temporal server start-dev`, with its Web UI and the video search attributes registered.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { videoSearchAttributes } from '../workflows/definitions.js';

/** A Temporal tool the project installs into .tools (scripts/install-temporal-*.sh): its name and where it lands. */
export interface TemporalTool {
  /** The executable's name on PATH. */
  name: string;
  /** The variable that names it explicitly. */
  variable: string;
  /** The project's own copy, relative to the repository. */
  projectPath: string;
}

export const TEMPORAL_CLI: TemporalTool = { name: 'temporal', variable: 'TEMPORAL_CLI_PATH', projectPath: '.tools/temporal/bin/temporal' };

/**
 * Where a Temporal tool is: the path given explicitly, else the executable on PATH, else the
 * project's own copy; undefined means "let the SDK download it".
 */
export function findTemporalTool(tool: TemporalTool, explicit?: string, path = process.env.PATH ?? ''): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`${tool.variable}=${explicit} does not exist`);
    return explicit;
  }
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, tool.name))) return join(dir, tool.name);
  }
  const projectCopy = fileURLToPath(new URL(`../../${tool.projectPath}`, import.meta.url));
  return existsSync(projectCopy) ? projectCopy : undefined;
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
  const cli = findTemporalTool(TEMPORAL_CLI, options.cliPath);
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

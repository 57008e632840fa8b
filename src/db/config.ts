import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** How long opening a connection to Postgres may take (TLS to RDS included; normally tens of ms). */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A pg client whose connection attempt gives up after CONNECT_TIMEOUT_MS (pg waits forever by
 * default): an unreachable Postgres then costs a write or a read seconds, not the activity's whole
 * timeout, and the callers' retries and fallbacks go on. Set on the client, not the pool: pg-pool's
 * `connectionTimeoutMillis` also bounds the wait for a free pooled connection, which turns a burst
 * (a thousand workflow tasks' local activities sharing ten connections) into failed writes that
 * would have run a moment later, each retried. Waiting for a free connection is the caller's to
 * bound: an activity's timeout, the API's `poolWaitMs`.
 */
class BoundedConnectClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}

/**
 * MikroORM options for a database URL. Migrations are listed explicitly (no file globbing).
 * `poolWaitMs`: how long a query may wait for a free pooled connection before it fails as
 * Postgres unavailable (unset: as long as its caller's own timeout allows).
 */
export function ormConfig(databaseUrl: string, overrides: Partial<Options> = {}, { poolWaitMs }: { poolWaitMs?: number } = {}): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    migrations: {
      path: here('./migrations'),
      pathTs: here('./migrations'),
      migrationsList,
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: 10 },
    driverOptions: { Client: BoundedConnectClient, ...(poolWaitMs !== undefined && { connectionTimeoutMillis: poolWaitMs }) },
    debug: false,
    ...overrides,
  });
}

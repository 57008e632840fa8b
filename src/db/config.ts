import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { fileURLToPath } from 'node:url';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** How long opening a connection to Postgres may take (TLS to RDS included; normally tens of ms). */
export const CONNECT_TIMEOUT_MS = 5_000;

/** MikroORM options for a database URL. Migrations are listed explicitly (no file globbing). */
export function ormConfig(databaseUrl: string, overrides: Partial<Options> = {}): Options {
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
    // A new connection that cannot be made in this time fails instead of waiting for the host
    // (pg waits forever by default): an unreachable Postgres then costs a write or a read
    // seconds, not the activity's whole timeout, and the callers' retries and fallbacks go on.
    driverOptions: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
    debug: false,
    ...overrides,
  });
}

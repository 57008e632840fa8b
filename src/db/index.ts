import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './config.js';

export type Orm = MikroORM;

export async function connectDatabase(databaseUrl: string, pool: { poolWaitMs?: number } = {}): Promise<Orm> {
  return MikroORM.init(ormConfig(databaseUrl, {}, pool));
}

/** Creates the database when it is missing, then applies pending migrations. Returns their names. */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  const orm = await MikroORM.init(ormConfig(databaseUrl));
  try {
    await orm.schema.ensureDatabase({ create: false });
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}

/**
 * The entities and the migrations describe the same schema: a fresh database migrated with the
 * project's migrations leaves MikroORM nothing to change. Catches an entity edited without its
 * migration (or a migration that the entities do not declare).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from '../../src/db/config.js';
import { migrateDatabase } from '../../src/db/index.js';
import { testConfig } from '../support/env.js';

// A database of its own: the shared test database may hold whatever other tests wrote.
const url = new URL(testConfig().DATABASE_URL);
url.pathname = `${url.pathname}_schema`;
const databaseUrl = url.toString();

async function dropDatabase(): Promise<void> {
  const orm = await MikroORM.init(ormConfig(databaseUrl));
  try {
    await orm.schema.dropDatabase();
  } finally {
    await orm.close(true);
  }
}

let orm: MikroORM;
beforeAll(async () => {
  await dropDatabase(); // a leftover of an interrupted run
  await migrateDatabase(databaseUrl);
  orm = await MikroORM.init(ormConfig(databaseUrl));
});
afterAll(async () => {
  await orm?.close(true);
  await dropDatabase();
});

it('a freshly migrated database matches the entities: the schema diff is empty', async () => {
  expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
});

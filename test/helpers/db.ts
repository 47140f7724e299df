import crypto from 'node:crypto';
import knexFactory from 'knex';
import { createDb, type Db } from '../../src/db/knex.ts';
import { migrateLatest } from '../../src/db/migrate.ts';

/**
 * Each test file gets its own database: a fresh Postgres database when TEST_DATABASE_URL is set
 * (e.g. postgres://postgres@127.0.0.1:5432/test), otherwise an in-memory PGlite.
 */
export const usingPostgres = !!process.env.TEST_DATABASE_URL;
export const backendName = usingPostgres ? 'postgres' : 'pglite';

export interface TestDatabase {
  /** Connection URL for Postgres (undefined for PGlite). */
  url: string | undefined;
  /** Opens a new connection pool to the same database (Postgres only; PGlite is one handle). */
  connect(): Db;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    const db = createDb({});
    await migrateLatest(db);
    return {
      url: undefined,
      db,
      connect: () => {
        throw new Error('PGlite has a single handle; share `db`');
      },
      drop: () => db.destroy(),
    };
  }
  const name = `tobira_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pools: Db[] = [];
  const connect = () => {
    const d = createDb({ databaseUrl: url, poolMax: 5 });
    pools.push(d);
    return d;
  };
  const db = connect();
  await migrateLatest(db);
  return {
    url,
    db,
    connect,
    drop: async () => {
      await Promise.all(pools.map((p) => p.destroy()));
      const a = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
      await a.raw(`drop database if exists ${name} with (force)`);
      await a.destroy();
    },
  };
}

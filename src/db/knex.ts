import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

// The embedded database's driver (knex-pglite and PGlite, a CommonJS require) loads only when it is
// used: a server on PostgreSQL never needs it (issue 12).
const require = createRequire(import.meta.url);

export type Db = Knex;
export type Tx = Knex | Knex.Transaction;

export interface DbOptions {
  databaseUrl?: string;
  /** Directory for the embedded database; undefined means in memory (tests). */
  dataDir?: string;
  poolMax?: number;
}

/** Postgres when a URL is given, otherwise embedded PGlite (on disk under dataDir, or in memory). */
export function createDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    return knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      pool: { min: 0, max: opts.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
  }
  let connection: object = {};
  if (opts.dataDir) {
    const dir = path.resolve(opts.dataDir, 'pgdata');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    connection = { filename: dir };
  }
  const ClientPgLite = require('knex-pglite');
  return knexFactory({ client: ClientPgLite, dialect: 'postgres', connection } as Knex.Config);
}

/** Rows affected by a delete or update: a number on pg, a result object on knex-pglite. */
export function affected(result: unknown): number {
  if (typeof result === 'number') return result;
  const r = result as { rowCount?: number; affectedRows?: number } | undefined;
  return Number(r?.rowCount ?? r?.affectedRows ?? 0);
}

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

/**
 * A second pool (one connection) on the same PostgreSQL whose commits do not wait for the WAL to reach the disk
 * (`synchronous_commit = off` for its sessions), for writes whose loss in a crash of PostgreSQL can only
 * deny, never grant (client-credentials tokens: src/oidc/adapter.ts). Such a commit is visible to every
 * other session at once and reaches standbys like any other; only a crash of the database server in the
 * fraction of a second before the WAL writer flushes it (at most three times `wal_writer_delay`, 0.6 s
 * by default) loses it. Its statements are reported as the main pool's (the `query` events that
 * tracing and statement counts listen to). Undefined on the embedded database, where there is one
 * connection and nothing to gain.
 */
export function createRelaxedCommitDb(db: Db): Db | undefined {
  const config = db.client.config as Knex.Config;
  const settings = config.connection;
  if (config.client !== 'pg' || !settings || typeof settings === 'function') return undefined;
  // Knex keeps a URL as it was given or as the object it parsed it into.
  const base: Record<string, unknown> =
    typeof settings === 'string' ? { connectionString: settings } : { ...(settings as object) };
  const options = [base.options, '-c synchronous_commit=off'].filter(Boolean).join(' ');
  const relaxed = knexFactory({
    client: 'pg',
    connection: { ...base, options } as Knex.PgConnectionConfig,
    // One connection: the writer keeps one statement of these in flight (oidc/adapter.ts).
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 10_000,
  });
  for (const event of ['query', 'query-response', 'query-error'])
    relaxed.on(event, (...args: unknown[]) => db.emit(event, ...args));
  return relaxed;
}

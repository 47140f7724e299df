import crypto from 'node:crypto';
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
  /**
   * PostgreSQL only: statements the server repeats are named prepared statements (parsed and planned
   * once per connection). False (DATABASE_PREPARED_STATEMENTS=off) sends every statement unnamed, for a
   * pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

/** Postgres when a URL is given, otherwise embedded PGlite (on disk under dataDir, or in memory). */
export function createDb(opts: DbOptions): Db {
  if (opts.databaseUrl) {
    const db = knexFactory({
      client: 'pg',
      connection: opts.databaseUrl,
      pool: { min: 0, max: opts.poolMax ?? 10 },
      acquireConnectionTimeout: 10_000,
    });
    namePreparedStatements(db, opts.preparedStatements ?? true);
    return db;
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

/** A statement as Knex hands it to the pg driver (`Client_PG._query`). */
interface DriverQuery {
  sql: string;
  options?: { name?: string } & Record<string, unknown>;
}
type DriverClient = { _query(connection: object, obj: DriverQuery): Promise<unknown> };

/** How many statements one connection keeps prepared, at most: the server's own statements fit. */
export const PREPARED_PER_CONNECTION = 120;

/**
 * A statement whose result columns are named one by one. `select *`, `t.*` and `returning *` stay
 * unnamed: a prepared statement of them fails ("cached plan must not change result type") once a
 * migration adds a column, which a rolling upgrade does while older instances still run.
 */
export const preparable = (sql: string): boolean =>
  /^\s*(?:select|insert|update|delete|with)\b/i.test(sql) &&
  // A `*` that is a result column: right after select, returning or a comma (not `a * b`, not count(*)).
  !/(?:\bselect|\breturning|,)\s*(?:distinct\s+)?(?:"?\w+"?\.)?\*(?=\s|,|$)/i.test(sql);

/**
 * `compute` remembered per statement text: the server's texts are few, so each is worked out once.
 * Bounded all the same (a text that varies with its values would otherwise grow it without end).
 */
function perText<T, A extends unknown[] = []>(
  compute: (sql: string, ...rest: A) => T,
): (sql: string, ...rest: A) => T {
  const memo = new Map<string, T>();
  return (sql, ...rest) => {
    let v = memo.get(sql);
    if (v === undefined) {
      v = compute(sql, ...rest);
      if (memo.size >= 4 * PREPARED_PER_CONNECTION) memo.clear();
      memo.set(sql, v);
    }
    return v;
  };
}

/** The name of a statement's text: its digest, so one name never stands for two texts. */
const statementName = perText(
  (sql) => `t_${crypto.createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`,
);

/** `preparable`, decided once per text: its test scans the whole text (issue 12: it ran per statement). */
const isPreparable = perText(preparable);

/**
 * Makes the statements the server repeats named prepared statements (issue 12). PostgreSQL then
 * parses each once per connection and, after a few executions, keeps one generic plan: on this
 * machine a sign-in's statements cost the database a third less CPU. Knex's query events still fire
 * (the name travels in the driver's options). Each connection keeps at most PREPARED_PER_CONNECTION;
 * statements beyond that, and statements whose text varies with their values (IN lists), run
 * unnamed once the budget is spent. `enabled` false strips every name, the explicit ones too.
 */
function namePreparedStatements(db: Db, enabled: boolean): void {
  const client = db.client as unknown as DriverClient;
  const send = client._query;
  const prepared = new WeakMap<object, Set<string>>();
  client._query = function (this: DriverClient, connection: object, obj: DriverQuery) {
    if (!enabled) {
      if (obj.options?.name) obj.options = { ...obj.options, name: undefined };
    } else if (!obj.options?.name && isPreparable(obj.sql)) {
      const name = statementName(obj.sql);
      let names = prepared.get(connection);
      if (!names) {
        names = new Set<string>();
        prepared.set(connection, names);
      }
      if (names.has(name) || names.size < PREPARED_PER_CONNECTION) {
        names.add(name);
        obj.options = { ...obj.options, name };
      }
    }
    return send.call(this, connection, obj);
  };
}

/** What runStatement uses of a Knex client (pg, and knex-pglite which extends it). */
type StatementClient = DriverClient & {
  acquireConnection(): Promise<{ __knexUid?: string }>;
  releaseConnection(connection: object): Promise<unknown>;
  positionBindings(sql: string): string;
  emit(event: string, ...args: unknown[]): boolean;
};
/** A statement as Knex hands it to the driver, with what its query events carry. */
type StatementQuery = DriverQuery & {
  method: 'raw';
  bindings: readonly unknown[];
  response?: { rows?: unknown[]; rowCount?: number | null; affectedRows?: number };
  __knexUid?: string;
  __knexQueryUid: string;
};

/** Each statement text with `$n` placeholders, as the client makes it (pg's, which knex-pglite shares). */
const nativeText = perText((sql: string, client: StatementClient) => client.positionBindings(sql));
let statementIds = 0;

/**
 * Runs a statement of the store's own (`?` placeholders; a text that repeats) straight on a pooled
 * connection, without Knex's query builder, runner and per-statement scans of the text and the
 * bindings (issue 12: in the server, they cost about as much as the driver itself). The statement
 * still goes through the driver hook that names prepared statements, and Knex's query events fire as
 * for any other statement (statement counts, tracing). Inside a transaction it runs as `db.raw` on
 * the transaction's connection. `options.name` names the prepared statement explicitly.
 */
export async function runStatement<R = Record<string, unknown>>(
  db: Tx,
  sql: string,
  bindings: readonly unknown[],
  options: { name?: string } = {},
): Promise<{ rows: R[]; rowCount: number }> {
  if (bindings.includes(undefined)) throw new Error(`undefined binding in: ${sql.slice(0, 80)}`);
  if ((db as Knex.Transaction).isTransaction) {
    const r = (await db
      .raw(sql, bindings as Knex.RawBinding[])
      .options(options)) as StatementQuery['response'];
    return { rows: (r?.rows ?? []) as R[], rowCount: affected(r) };
  }
  const client = db.client as unknown as StatementClient;
  const text = nativeText(sql, client);
  const connection = await client.acquireConnection();
  const obj: StatementQuery = {
    method: 'raw',
    sql: text,
    bindings,
    options: options.name ? { name: options.name } : {},
    __knexUid: connection.__knexUid,
    __knexQueryUid: `statement-${++statementIds}`,
  };
  try {
    client.emit('query', obj);
    await client._query(connection, obj);
    const r = obj.response;
    const rows = (r?.rows ?? []) as R[];
    client.emit('query-response', rows, obj);
    return { rows, rowCount: affected(r) };
  } catch (err) {
    client.emit('query-error', err, obj);
    throw err;
  } finally {
    await client.releaseConnection(connection);
  }
}

/** A text with `:name` placeholders as positional `?`, and the names in their order. */
const positional = perText((sql) => {
  const names: string[] = [];
  const text = sql.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_m, name: string) => {
    names.push(name);
    return '?';
  });
  return { sql: text, names };
});

/**
 * runStatement for a text with named placeholders (`:name`, as Knex's raw takes them; a `::` cast is
 * not one). The text is turned into positional form once, not on every call.
 */
export async function runNamed<R = Record<string, unknown>>(
  db: Tx,
  sql: string,
  values: Record<string, unknown>,
): Promise<{ rows: R[]; rowCount: number }> {
  const t = positional(sql);
  const bindings = t.names.map((n) => {
    if (!(n in values)) throw new Error(`no value for :${n}`);
    return values[n];
  });
  return runStatement<R>(db, t.sql, bindings);
}

/** Clients whose statements never relax their commit (CLIENT_TOKEN_COMMIT=sync: waitForEveryCommit). */
const everyCommitWaits = new WeakSet<object>();

/** Every commit on `db` waits for the WAL flush: relaxedCommit gives nothing (CLIENT_TOKEN_COMMIT=sync). */
export function waitForEveryCommit(db: Db): void {
  everyCommitWaits.add(db.client);
}

/**
 * A select-list item that makes the statement's own commit skip the wait for the WAL flush
 * (`synchronous_commit = off` for its implicit transaction; PostgreSQL decides at commit time), or ''
 * inside the caller's transaction, whose commit is the caller's to decide. The commit is visible to
 * every session at once, as any other; only a crash of the database server before the WAL writer
 * (or any later durable commit, which flushes everything before it) writes it out loses it. So it is
 * for writes whose loss can only deny, or that the flow's next durable commit covers before anything
 * is granted (the sign-in's counter reservation and its clear: account/lockout.ts).
 */
export function relaxedCommit(db: Tx): string {
  if ((db as Knex.Transaction).isTransaction || everyCommitWaits.has(db.client)) return '';
  return ", (select set_config('synchronous_commit', 'off', true)) as relaxed_commit";
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
export function createRelaxedCommitDb(db: Db, preparedStatements = true): Db | undefined {
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
  namePreparedStatements(relaxed, preparedStatements);
  for (const event of ['query', 'query-response', 'query-error'])
    relaxed.on(event, (...args: unknown[]) => db.emit(event, ...args));
  return relaxed;
}

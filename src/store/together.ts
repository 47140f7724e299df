import { relaxedCommit, runStatement, type Tx } from '../db/knex.ts';

/**
 * A write that rides along with another statement, described by the store module that owns its
 * table (store/audit.ts `auditAlong`, store/challenges.ts `flowChallengesAlong`). On this machine a
 * round trip, not the statement, is most of what a statement costs (issue 12), so the writes a
 * successful step makes anyway go with the statement that decides it.
 */
export type RideAlong =
  /**
   * `onConflict`: the table's own `on conflict ...` clause, from the store module that owns the table
   * (store/oidc.ts payloadWritesAlong: an upsert). A fixed text: it is written into the statement.
   */
  | { table: string; insert: Record<string, unknown>; onConflict?: string }
  | { table: string; deleteWhere: Record<string, string> };

/** Our own table and column names only: they are written into the statement. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
}

/** An `on conflict` clause of the store's own: no statement terminator, no placeholder. */
function conflictClause(text: string): string {
  if (!/^\s*on conflict\s/i.test(text) || /[;?$]/.test(text)) throw new Error('not an on conflict clause');
  return text.trim();
}

/** A statement of the store's own: its text (`?` placeholders) and its values. */
export interface Statement {
  sql: string;
  bindings: readonly unknown[];
}

/**
 * Runs `head` (a delete or an update) and `along` in ONE statement, the writes of `along` only when
 * head changed a row. All of it commits together or not at all, and nothing of `along` is written
 * when head changed nothing. Returns how many rows head changed.
 *
 * The statement's parts run on one snapshot (PostgreSQL's data-modifying WITH): `along` must not
 * depend on what head changes, nor write what head reads.
 *
 * `relaxed`: the statement's commit does not wait for the WAL flush (db/knex.ts relaxedCommit; never
 * inside the caller's transaction). Only for writes whose loss in a crash of PostgreSQL can only deny,
 * or that a later durable commit of the same flow makes durable before anything is granted.
 */
export async function whenChanged(
  db: Tx,
  head: Statement,
  along: RideAlong[],
  opts: { relaxed?: boolean } = {},
): Promise<number> {
  if (!/^\s*(?:delete|update)\s/i.test(head.sql) || /\breturning\b/i.test(head.sql)) {
    throw new Error('whenChanged: head must be a delete or an update without returning');
  }
  let sql = `with h as (${head.sql} returning 1)`;
  const bindings: unknown[] = [...head.bindings];
  along.forEach((w, i) => {
    if ('insert' in w) {
      const cols = Object.keys(w.insert);
      sql +=
        `, w${i} as (insert into ${ident(w.table)} (${cols.map(ident).join(', ')})` +
        ` select ${cols.map(() => '?').join(', ')} where exists (select 1 from h)` +
        `${w.onConflict ? ` ${conflictClause(w.onConflict)}` : ''})`;
      bindings.push(...cols.map((c) => w.insert[c]));
    } else {
      const cols = Object.keys(w.deleteWhere);
      if (!cols.length) throw new Error('whenChanged: a delete needs a condition');
      sql +=
        `, w${i} as (delete from ${ident(w.table)} where ` +
        `${cols.map((c) => `${ident(c)} = ?`).join(' and ')} and exists (select 1 from h))`;
      bindings.push(...cols.map((c) => w.deleteWhere[c]));
    }
  });
  sql += ` select count(*)::int as n${opts.relaxed ? relaxedCommit(db) : ''} from h`;
  const { rows } = await runStatement<{ n: number }>(db, sql, bindings);
  return Number(rows[0]?.n ?? 0);
}

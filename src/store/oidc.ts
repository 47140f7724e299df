import type { Knex } from 'knex';
import { affected, runStatement, type Tx } from '../db/knex.ts';
import { CHALLENGE_COLUMNS, type Challenge, challengeFromRow } from './challenges.ts';
import type { RideAlong } from './together.ts';
import { USER_COLUMNS, type UserRow } from './users.ts';

/** SQL for oidc-provider's models; the adapter in src/oidc/adapter.ts maps the provider's calls onto these. */

export interface PayloadRow {
  payload: Record<string, unknown>;
  consumedAt: Date | null;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

/** A row as written: the payload serialized, with the columns it is looked up by. */
export interface PayloadWrite {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  account_id: string | null;
  expires_at: Date | null;
}

export const payloadRow = (
  model: string,
  id: string,
  payload: Record<string, unknown>,
  expiresAt: Date | null,
): PayloadWrite => ({
  model,
  id,
  payload: JSON.stringify(payload),
  grant_id: (payload.grantId as string) ?? null,
  user_code: (payload.userCode as string) ?? null,
  uid: (payload.uid as string) ?? null,
  account_id: (payload.accountId as string) ?? null,
  expires_at: expiresAt,
});

export async function upsertPayload(
  db: Tx,
  model: string,
  id: string,
  payload: Record<string, unknown>,
  expiresAt: Date | null,
): Promise<void> {
  await runStatement(
    db,
    UPSERT_ONE,
    upsertValues({ op: 'upsert', row: payloadRow(model, id, payload, expiresAt), consumedAt: null }),
  );
}

/** One pending change of a request's batch (src/oidc/adapter.ts): the last change per row wins. */
export type PayloadOp =
  | {
      op: 'upsert';
      row: PayloadWrite;
      /** Set when the row was consumed after it was written in the same request. */
      consumedAt: Date | null;
    }
  | { op: 'delete'; model: string; id: string }
  | { op: 'consume'; model: string; id: string; at: Date };

/** The columns both upsert statements write, in the order of upsertValues. */
const UPSERT_COLUMNS = 'model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at';
const UPSERT_SET = `on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, account_id = excluded.account_id,
        expires_at = excluded.expires_at, consumed_at = coalesce(excluded.consumed_at, oidc_payloads.consumed_at)`;

/**
 * The upserts alone, as one statement whose text never changes, whatever the number of rows: each
 * column is one array parameter, unnested. On PostgreSQL it is a named prepared statement, so each
 * connection parses and plans it once, not per batch; its plan has no choice to make (the rows come
 * from the arrays, the conflict goes through the primary key). This is the token endpoint's write.
 */
const UPSERT_ARRAYS = `insert into oidc_payloads (${UPSERT_COLUMNS})
      select * from unnest(?::text[], ?::text[], ?::jsonb[], ?::text[], ?::text[], ?::text[], ?::text[],
        ?::timestamptz[], ?::timestamptz[])
      ${UPSERT_SET}`;
const UPSERT_STATEMENT = 'tobira_oidc_payloads_upsert';
/** One row's upsert (upsertPayload): an earlier consumed_at stays. */
const UPSERT_ONE = `insert into oidc_payloads (${UPSERT_COLUMNS})
      values (?, ?, ?::jsonb, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)
      ${UPSERT_SET}`;

/** An upsert's values in the column order of both upsert statements. */
const upsertValues = ({ row: r, consumedAt }: Extract<PayloadOp, { op: 'upsert' }>): Knex.RawBinding[] => [
  r.model,
  r.id,
  r.payload,
  r.grant_id,
  r.user_code,
  r.uid,
  r.account_id,
  r.expires_at,
  consumedAt,
];

async function upsertRows(
  db: Tx,
  upserts: ReadonlyArray<Extract<PayloadOp, { op: 'upsert' }>>,
): Promise<void> {
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const o of upserts) {
    const values = upsertValues(o);
    for (let i = 0; i < values.length; i++) columns[i].push(values[i]);
  }
  // PostgreSQL's driver prepares a named statement once per connection; the embedded database ignores the name.
  await runStatement(db, UPSERT_ARRAYS, columns, { name: UPSERT_STATEMENT });
}

/**
 * A request's held upserts (oidc/adapter.ts holdPayloadWrites) as writes that ride along with another
 * statement (store/together.ts), each as upsertPayload would make it; undefined when there is
 * something else among them (a delete, a consumption), which only applyPayloadOps sends.
 */
export function payloadWritesAlong(ops: readonly PayloadOp[]): RideAlong[] | undefined {
  if (ops.some((o) => o.op !== 'upsert')) return undefined;
  return (ops as Extract<PayloadOp, { op: 'upsert' }>[]).map((o) => {
    const [model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at] =
      upsertValues(o);
    return {
      table: 'oidc_payloads',
      insert: { model, id, payload, grant_id, user_code, uid, account_id, expires_at, consumed_at },
      onConflict: UPSERT_SET,
    };
  });
}

/**
 * Applies a request's changes to oidc_payloads in ONE statement (deletes and consumptions as
 * data-modifying CTEs before the upserts). The ops touch distinct rows (one op per row), so their
 * order inside the statement does not matter. An upsert keeps an earlier consumed_at, as
 * upsertPayload does. Upserts alone (issuing tokens, a sign-in's grant, code and session) take the
 * prepared statement above.
 */
export async function applyPayloadOps(db: Tx, ops: readonly PayloadOp[]): Promise<void> {
  if (!ops.length) return;
  const parts: string[] = [];
  const bindings: Knex.RawBinding[] = [];
  const deletes = ops.filter((o) => o.op === 'delete');
  const consumes = ops.filter((o) => o.op === 'consume');
  const upserts = ops.filter((o) => o.op === 'upsert');
  if (!deletes.length && !consumes.length) return upsertRows(db, upserts);
  if (deletes.length) {
    parts.push(
      `d as (delete from oidc_payloads where (model, id) in (${deletes.map(() => '(?, ?)').join(', ')}))`,
    );
    for (const o of deletes) bindings.push(o.model, o.id);
  }
  if (consumes.length) {
    parts.push(
      `c as (update oidc_payloads p set consumed_at = v.at from (values ${consumes
        .map(() => '(?::text, ?::text, ?::timestamptz)')
        .join(', ')}) as v(model, id, at) where p.model = v.model and p.id = v.id)`,
    );
    for (const o of consumes) bindings.push(o.model, o.id, o.at);
  }
  let main = 'select 1';
  if (upserts.length) {
    main = `insert into oidc_payloads (${UPSERT_COLUMNS})
      values ${upserts.map(() => '(?, ?, ?::jsonb, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)').join(', ')}
      ${UPSERT_SET}`;
    for (const o of upserts) bindings.push(...upsertValues(o));
  }
  await runStatement(db, `with ${parts.join(', ')} ${main}`, bindings);
}

/** The lookups of one live row, one fixed text each (prepared once per connection). */
const BY_ID = `select payload, consumed_at from oidc_payloads where model = ? and id = ? and (expires_at is null or expires_at > ?) limit 1`;
/**
 * By uid or user code, the value alone finds the rows, through its own index, and the model is checked
 * on them (OFFSET 0 keeps the planner from moving that check into the scan). Asked together, the
 * primary key's `model` prefix is an equal candidate, and a plan made while the table was small (a
 * prepared statement's generic plan, or statistics autovacuum has not refreshed yet) took it: every
 * session was read and filtered by uid, growing with every sign-in (issue 12). Its bindings are the
 * value, then the model and the time.
 */
const byValue = (column: string) => `select payload, consumed_at from (
      select model, payload, consumed_at, expires_at from oidc_payloads where ${column} = ? offset 0) x
    where model = ? and (expires_at is null or expires_at > ?) limit 1`;
const FIND_BY = { id: BY_ID, uid: byValue('uid'), user_code: byValue('user_code') } as const;

async function findWhere(
  db: Tx,
  by: keyof typeof FIND_BY,
  model: string,
  value: string,
  now: Date,
): Promise<PayloadRow | undefined> {
  const { rows } = await runStatement<{ payload: unknown; consumed_at: unknown }>(
    db,
    FIND_BY[by],
    by === 'id' ? [model, value, now] : [value, model, now],
  );
  return rows[0] ? rowOf(rows[0]) : undefined;
}

const rowOf = (r: { payload: unknown; consumed_at: unknown }): PayloadRow => ({
  payload: parse(r.payload),
  consumedAt: r.consumed_at ? new Date(r.consumed_at as string) : null,
});

/** A row read with what it names, in one statement (findWithRelated). */
export interface RelatedRows {
  source: PayloadRow | undefined;
  /** Present when asked for and the source names one; `row` undefined when it is gone. */
  grant?: { id: string; row: PayloadRow | undefined };
  session?: { uid: string; row: PayloadRow | undefined };
  /** The user row (USER_COLUMNS, as JSON) of the account the source names; undefined when none is. */
  account?: { id: string; row: UserRow | undefined };
}

/** What to read with a row: its grant (by id), its session (by uid), its account's user (by a path in the payload). */
export interface Related {
  grant?: boolean;
  session?: boolean;
  accountAt?: readonly string[];
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const USER_JSON = `jsonb_build_object(${USER_COLUMNS.map((c) => `'${c}', u.${c}`).join(', ')})`;
/** Each Related's statement and how many times it binds the time, built on first use. */
const relatedSql = new Map<Related, { sql: string; times: number }>();

/**
 * A row of oidc_payloads together with the rows its payload names, in ONE statement (issue 12): the
 * token endpoint reads a code or a refresh token, then the grant it names, then (for a token bound to
 * the session) the session, then the account's user; the resume of a sign-in reads the interaction,
 * then the user it signed in. Each row is filtered exactly as findPayload, findPayloadByUid and
 * findUserById filter it, all in the same snapshot. The statement's text depends only on `related`
 * (a constant of the adapter's: its statement is built once).
 */
export async function findWithRelated(
  db: Tx,
  model: string,
  id: string,
  now: Date,
  related: Related,
): Promise<RelatedRows> {
  let statement = relatedSql.get(related);
  if (statement === undefined) {
    // Every placeholder is the time (`?`), after the source's model and id.
    const parts = ['select 0 as k, payload, consumed_at from s'];
    // Each related row is looked up by a key computed once from the source (a scalar subquery: null,
    // so nothing, without a source), which the planner can only answer through the row's index. As a
    // join on the source, a plan made while the table was small (or its statistics stale) scanned
    // every grant and filtered them, growing with every sign-in (issue 12: 0.95 ms a token request
    // after 350 sign-ins).
    if (related.grant)
      parts.push(`select 1, g.payload, g.consumed_at from oidc_payloads g
     where g.model = 'Grant' and g.id = (select s.payload->>'grantId' from s)
       and (g.expires_at is null or g.expires_at > ?)`);
    // The session by its uid alone, then its model, as findPayloadByUid (byValue) and for its reason.
    if (related.session)
      parts.push(`select 2, x.payload, x.consumed_at from (
       select model, payload, consumed_at, expires_at from oidc_payloads
        where uid = (select s.payload->>'sessionUid' from s) offset 0) x
     where x.model = 'Session' and (x.expires_at is null or x.expires_at > ?)`);
    if (related.accountAt) {
      const at = `s.payload #>> '{${related.accountAt.join(',')}}'`;
      // Only a well-formed id is cast, so a payload naming anything else finds no user instead of failing.
      parts.push(`select 3, ${USER_JSON}, null from users u
     where u.id = (select case when ${at} ~ '${UUID}' then cast(${at} as uuid) end from s)`);
    }
    const sql = `with s as (
      select payload, consumed_at from oidc_payloads
       where model = ? and id = ? and (expires_at is null or expires_at > ?)
    )
    ${parts.join('\n    union all\n    ')}`;
    statement = { sql, times: (sql.match(/\?/g)?.length ?? 2) - 2 };
    relatedSql.set(related, statement);
  }
  const { sql, times } = statement;
  const { rows } = await runStatement<{ k: number; payload: unknown; consumed_at: unknown }>(db, sql, [
    model,
    id,
    ...Array.from({ length: times }, () => now),
  ]);
  const first = (k: number) => rows.find((x) => Number(x.k) === k);
  const found = first(0);
  const source = found ? rowOf(found) : undefined;
  if (!source) return { source };
  const named = (path: readonly string[]) => {
    let v: unknown = source.payload;
    for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return typeof v === 'string' ? v : undefined;
  };
  const grantId = related.grant ? named(['grantId']) : undefined;
  const sessionUid = related.session ? named(['sessionUid']) : undefined;
  const accountId = related.accountAt ? named(related.accountAt) : undefined;
  const row = (k: number) => {
    const r = first(k);
    return r ? rowOf(r) : undefined;
  };
  const user = first(3);
  return {
    source,
    ...(grantId !== undefined ? { grant: { id: grantId, row: row(1) } } : {}),
    ...(sessionUid !== undefined ? { session: { uid: sessionUid, row: row(2) } } : {}),
    ...(accountId !== undefined
      ? { account: { id: accountId, row: user ? (parse(user.payload) as UserRow) : undefined } }
      : {}),
  };
}

/** What a page reads with its interaction, in the same statement (findInteractionWith). */
export interface InteractionWith {
  /**
   * The live challenges of a flow, of these kinds, as store/challenges.ts findLiveChallenge reads each kind
   * at `now` (the server's clock, which wrote them; the interaction's expiry is the provider's time).
   */
  challenges?: { flow: string; kinds: readonly string[]; now: Date };
  /** The user with this normalized login, as store/users.ts findUserByLogin reads it. */
  userLogin?: string;
}

/** An interaction and what its page reads with it (findInteractionWith). */
export interface InteractionRows {
  source: PayloadRow | undefined;
  /** Newest first; empty when none was asked for. */
  challenges: Challenge[];
  /** Present when asked for; `row` undefined when no user has that login. */
  user?: { row: UserRow | undefined };
}

const CHALLENGE_JSON = `jsonb_build_object(${CHALLENGE_COLUMNS.map((c) => `'${c}', c.${c}`).join(', ')})`;

/**
 * An interaction together with what its page needs, in ONE statement (issue 12): the sign-in page
 * reads its interaction and then the flow's state and flash; the password post reads its interaction
 * and then the user the form names. Each part is filtered exactly as findPayload, findLiveChallenge
 * and findUserByLogin filter it, all in one snapshot. The statement's text depends only on what is
 * asked for (and on how many kinds), so it is prepared once per shape.
 */
export async function findInteractionWith(
  db: Tx,
  id: string,
  now: Date,
  w: InteractionWith,
): Promise<InteractionRows> {
  const parts = [
    `select 0 as k, payload, consumed_at from oidc_payloads
      where model = 'Interaction' and id = ? and (expires_at is null or expires_at > ?)`,
  ];
  const bindings: unknown[] = [id, now];
  if (w.challenges?.kinds.length) {
    parts.push(`select 1, ${CHALLENGE_JSON}, null from challenges c
      where c.flow = ? and c.kind in (${w.challenges.kinds.map(() => '?').join(', ')})
        and c.consumed_at is null and c.expires_at > ?`);
    bindings.push(w.challenges.flow, ...w.challenges.kinds, w.challenges.now);
  }
  if (w.userLogin !== undefined) {
    parts.push(`select 2, ${USER_JSON}, null from users u where u.login_normalized = ?`);
    bindings.push(w.userLogin);
  }
  const { rows } = await runStatement<{ k: number; payload: unknown; consumed_at: unknown }>(
    db,
    parts.join('\n    union all\n    '),
    bindings,
  );
  const found = rows.find((r) => Number(r.k) === 0);
  const challenges = rows
    .filter((r) => Number(r.k) === 1)
    .map((r) => challengeFromRow(parse(r.payload)))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const user = rows.find((r) => Number(r.k) === 2);
  return {
    source: found ? rowOf(found) : undefined,
    challenges,
    ...(w.userLogin !== undefined
      ? { user: { row: user ? (parse(user.payload) as UserRow) : undefined } }
      : {}),
  };
}

export const findPayload = (db: Tx, model: string, id: string, now: Date) =>
  findWhere(db, 'id', model, id, now);
export const findPayloadByUid = (db: Tx, model: string, uid: string, now: Date) =>
  findWhere(db, 'uid', model, uid, now);
export const findPayloadByUserCode = (db: Tx, model: string, userCode: string, now: Date) =>
  findWhere(db, 'user_code', model, userCode, now);

export async function consumePayload(db: Tx, model: string, id: string, now: Date): Promise<void> {
  await db('oidc_payloads').where({ model, id }).update({ consumed_at: now });
}

export async function destroyPayload(db: Tx, model: string, id: string): Promise<void> {
  await db('oidc_payloads').where({ model, id }).delete();
}

export async function destroyByGrantId(db: Tx, grantId: string): Promise<void> {
  await db('oidc_payloads').where({ grant_id: grantId }).delete();
}

/**
 * Removes every session, grant and token of an account: used when its password is reset or it is
 * disabled. Grant-bound rows (codes, tokens) go with their grants.
 */
export async function destroyByAccountId(db: Tx, accountId: string): Promise<number> {
  const grants = db('oidc_payloads')
    .where({ account_id: accountId })
    .whereNotNull('grant_id')
    .select('grant_id');
  const a = affected(await db('oidc_payloads').whereIn('grant_id', grants).delete());
  const b = affected(await db('oidc_payloads').where({ account_id: accountId }).delete());
  return a + b;
}

export async function countPayloads(db: Tx, model: string, accountId: string, now: Date): Promise<number> {
  const [r] = await db('oidc_payloads')
    .where({ model, account_id: accountId })
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .count<{ c: string | number }[]>({ c: '*' });
  return Number(r.c);
}

/** Deletes a batch of expired rows; rows are taken with SKIP LOCKED so instances never do the same work. */
export async function sweepExpired(db: Tx, now: Date, batch = 500): Promise<number> {
  const ids = db('oidc_payloads')
    .select('model', 'id')
    .where('expires_at', '<', now)
    .limit(batch)
    .forUpdate()
    .skipLocked();
  const res = await db.raw(`delete from oidc_payloads where (model, id) in (${ids.toQuery()})`);
  return affected(res);
}

export interface ProviderSessionRow {
  id: string;
  authorizations: Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;
}

/** The provider (SSO) sessions of an account, with the apps signed in through each. */
export async function listProviderSessions(db: Tx, accountId: string): Promise<ProviderSessionRow[]> {
  const rows = await db('oidc_payloads')
    .where({ model: 'Session', account_id: accountId })
    .select('id', 'payload');
  return rows.map((r: { id: string; payload: unknown }) => ({
    id: r.id,
    authorizations: (parse(r.payload).authorizations ?? {}) as ProviderSessionRow['authorizations'],
  }));
}

/** Removes a grant and every code and token issued under it. */
export async function destroyGrant(db: Tx, grantId: string): Promise<number> {
  const a = affected(await db('oidc_payloads').where({ grant_id: grantId }).delete());
  return a + affected(await db('oidc_payloads').where({ model: 'Grant', id: grantId }).delete());
}

/** The live rows of one model (the initial access tokens), bounded; oldest first. */
export async function listPayloads(
  db: Tx,
  model: string,
  now: Date,
  limit: number,
): Promise<Array<{ id: string; payload: Record<string, unknown>; expiresAt: Date | null }>> {
  const rows = await db('oidc_payloads')
    .where({ model })
    .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .select('id', 'payload', 'expires_at')
    .orderBy('id')
    .limit(limit);
  return rows.map((r: { id: string; payload: unknown; expires_at: unknown }) => ({
    id: r.id,
    payload: parse(r.payload),
    expiresAt: r.expires_at ? new Date(r.expires_at as string) : null,
  }));
}

/** Removes the rows of one model whose id starts with a prefix (hex only; the caller checks it). */
export async function destroyPayloadsByIdPrefix(db: Tx, model: string, prefix: string): Promise<number> {
  return affected(
    await db('oidc_payloads')
      .where({ model })
      .andWhere('id', '>=', prefix)
      .andWhere('id', '<', `${prefix}g`)
      .delete(),
  );
}

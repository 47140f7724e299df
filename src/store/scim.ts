import { affected, type Tx } from '../db/knex.ts';
import { type Credential, credentialsOfUsers } from './credentials.ts';
import { DuplicateError, normalizeLogin, type User, userFromRow } from './users.ts';

/*
 * SQL for the SCIM 2.0 server (issue 16): filtered, counted pages of users and groups, the
 * provisioning client's externalId, group renames and the group look-ups SCIM needs. A SCIM filter
 * arrives here already parsed (flows/admin/scim/filter.ts); each attribute maps to one indexed
 * column or expression, and anything else is an UnsupportedFilter (400 invalidFilter).
 */

/** A parsed SCIM filter (RFC 7644 §3.4.2.2); attribute paths are lower-cased (`emails.value`). */
export type ScimFilter =
  | { op: 'and' | 'or'; left: ScimFilter; right: ScimFilter }
  | { op: 'not'; expr: ScimFilter }
  | { op: 'pr'; attr: string }
  | { op: CompareOp; attr: string; value: string | number | boolean | null };
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export class UnsupportedFilter extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

type Column =
  | { kind: 'text'; sql: string; fold: (v: string) => string; eqSql?: string }
  | { kind: 'exact'; sql: string }
  | { kind: 'id'; sql: string }
  | { kind: 'time'; sql: string }
  | { kind: 'active' }
  | { kind: 'emailType' }
  | { kind: 'member' };

const lower = (v: string) => v.toLowerCase();
const USER_COLUMNS: Record<string, Column> = {
  id: { kind: 'id', sql: 'users.id' },
  username: { kind: 'text', sql: 'users.login_normalized', fold: normalizeLogin },
  displayname: { kind: 'text', sql: 'lower(users.display_name)', fold: lower },
  'name.formatted': { kind: 'text', sql: 'lower(users.display_name)', fold: lower },
  // eq uses the lower(email) index; co/sw/ew the trigram index on lower(coalesce(email, '')).
  emails: { kind: 'text', sql: "lower(coalesce(users.email, ''))", fold: lower, eqSql: 'lower(users.email)' },
  'emails.value': {
    kind: 'text',
    sql: "lower(coalesce(users.email, ''))",
    fold: lower,
    eqSql: 'lower(users.email)',
  },
  // The profile email is the one email of type work (pre-registered "other" emails are not searched).
  'emails.type': { kind: 'emailType' },
  externalid: { kind: 'exact', sql: 'users.external_id' },
  locale: { kind: 'text', sql: "lower(coalesce(users.locale, ''))", fold: lower },
  preferredlanguage: { kind: 'text', sql: "lower(coalesce(users.locale, ''))", fold: lower },
  active: { kind: 'active' },
  'meta.created': { kind: 'time', sql: 'users.created_at' },
  'meta.lastmodified': { kind: 'time', sql: 'users.updated_at' },
};
const GROUP_COLUMNS: Record<string, Column> = {
  id: { kind: 'id', sql: 'groups.id' },
  displayname: { kind: 'text', sql: 'lower(groups.name)', fold: lower },
  externalid: { kind: 'exact', sql: 'groups.external_id' },
  members: { kind: 'member' },
  'members.value': { kind: 'member' },
  'meta.created': { kind: 'time', sql: 'groups.created_at' },
  'meta.lastmodified': { kind: 'time', sql: 'coalesce(groups.updated_at, groups.created_at)' },
};
const CMP: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

/** Adds a filter to a query as one parenthesised condition (parameters bound, never spliced). */
function apply(q: any, f: ScimFilter, columns: Record<string, Column>): void {
  if (f.op === 'and' || f.op === 'or') {
    q.where((w: any) => {
      apply(w, f.left, columns);
      if (f.op === 'and') w.andWhere((x: any) => apply(x, f.right, columns));
      else w.orWhere((x: any) => apply(x, f.right, columns));
    });
    return;
  }
  if (f.op === 'not') {
    q.whereNot((w: any) => apply(w, f.expr, columns));
    return;
  }
  apply1(q, f as Leaf, columns);
}

type Leaf = Extract<ScimFilter, { attr: string }>;

function apply1(q: any, f: Leaf, columns: Record<string, Column>): void {
  const col = columns[f.attr];
  if (!col) throw new UnsupportedFilter(`the attribute ${f.attr} cannot be filtered`);
  if (f.op === 'pr') {
    if (col.kind === 'text' || col.kind === 'exact') q.whereRaw(`coalesce(${col.sql}, '') <> ''`);
    else if (col.kind === 'member') q.whereExists((s: any) => memberSub(s, null));
    else if (col.kind === 'emailType') q.whereRaw("coalesce(users.email, '') <> ''");
    else q.whereRaw('true');
    return;
  }
  const { op, value } = f;
  switch (col.kind) {
    case 'id':
      if (op !== 'eq' && op !== 'ne') throw new UnsupportedFilter('id takes eq or ne');
      if (typeof value !== 'string' || !UUID.test(value)) q.whereRaw(op === 'eq' ? 'false' : 'true');
      else q.whereRaw(`${col.sql} ${CMP[op]} ?`, [value.toLowerCase()]);
      return;
    case 'emailType':
      if ((op !== 'eq' && op !== 'ne') || typeof value !== 'string')
        throw new UnsupportedFilter('emails.type takes eq or ne');
      q.whereRaw(
        (value.toLowerCase() === 'work') === (op === 'eq') ? "coalesce(users.email, '') <> ''" : 'false',
      );
      return;
    case 'active':
      if ((op !== 'eq' && op !== 'ne') || typeof value !== 'boolean')
        throw new UnsupportedFilter('active takes eq or ne with true or false');
      q.whereRaw(`users.status ${op === 'eq' ? '=' : '<>'} ?`, [value ? 'active' : 'disabled']);
      return;
    case 'member':
      if (op !== 'eq' || typeof value !== 'string') throw new UnsupportedFilter('members takes eq');
      if (!UUID.test(value)) q.whereRaw('false');
      else q.whereExists((s: any) => memberSub(s, value.toLowerCase()));
      return;
    case 'time': {
      const d = typeof value === 'string' ? new Date(value) : undefined;
      if (!d || Number.isNaN(d.getTime()) || !CMP[op])
        throw new UnsupportedFilter('a time takes eq, ne, gt, ge, lt or le with a date-time');
      q.whereRaw(`${col.sql} ${CMP[op]} ?`, [d]);
      return;
    }
    default: {
      if (typeof value !== 'string') throw new UnsupportedFilter(`${f.attr} compares with a string`);
      const v = col.kind === 'text' ? col.fold(value) : value;
      if (op === 'co' || op === 'sw' || op === 'ew') {
        const pattern = `${op === 'sw' ? '' : '%'}${likeEscape(v)}${op === 'ew' ? '' : '%'}`;
        q.whereRaw(`${col.sql} like ? escape '\\'`, [pattern]);
      } else if (op === 'eq' && col.kind === 'text' && col.eqSql) q.whereRaw(`${col.eqSql} = ?`, [v]);
      else q.whereRaw(`${col.sql} ${CMP[op]} ?`, [v]);
    }
  }
  function memberSub(s: any, userId: string | null) {
    s.select(s.client.raw('1')).from('group_members').whereRaw('group_members.group_id = groups.id');
    if (userId) s.where('group_members.user_id', userId);
  }
}

export interface ScimPageQuery {
  filter?: ScimFilter;
  /** 1-based (RFC 7644 §3.4.2.4). */
  startIndex: number;
  count: number;
  sortBy?: string;
  descending?: boolean;
}

const USER_SORT: Record<string, string> = {
  username: 'users.login_normalized',
  displayname: 'lower(users.display_name)',
  'name.formatted': 'lower(users.display_name)',
  'meta.created': 'users.created_at',
  'meta.lastmodified': 'users.updated_at',
  externalid: 'users.external_id',
};
const GROUP_SORT: Record<string, string> = {
  displayname: 'groups.name',
  'meta.created': 'groups.created_at',
  'meta.lastmodified': 'coalesce(groups.updated_at, groups.created_at)',
  externalid: 'groups.external_id',
};

function sortOf(map: Record<string, string>, s: ScimPageQuery): string | undefined {
  if (!s.sortBy) return undefined;
  const col = map[s.sortBy.toLowerCase()];
  if (!col) throw new UnsupportedFilter(`cannot sort by ${s.sortBy}`);
  return `${col} ${s.descending ? 'desc' : 'asc'}`;
}

export type ScimUser = User & { externalId: string | null };
const scimUserFromRow = (r: any): ScimUser => ({ ...userFromRow(r), externalId: r.external_id ?? null });

/**
 * One page of users matching a filter and how many match in all. The page is ordered (by the sort
 * attribute, then by login for a stable order) and cut with LIMIT/OFFSET; the count is one COUNT(*)
 * over the same condition, answered from the indexes for the usual look-ups (userName, externalId
 * and email equality).
 */
export async function scimUserPage(db: Tx, s: ScimPageQuery): Promise<{ total: number; users: ScimUser[] }> {
  const { total, rows } = await page(db, s, { table: 'users', columns: USER_COLUMNS, sort: USER_SORT });
  return { total, users: rows.map(scimUserFromRow) };
}

/**
 * One page of a table's rows under the query's filter and sort (then `tiebreak`, for a stable
 * order), and the count of all that match.
 */
async function page(
  db: Tx,
  s: ScimPageQuery,
  t: { table: 'users' | 'groups'; columns: Record<string, Column>; sort: Record<string, string> },
): Promise<{ total: number; rows: any[] }> {
  const base = () => {
    const q = db(t.table);
    if (s.filter) apply(q, s.filter, t.columns);
    return q;
  };
  const order = sortOf(t.sort, s);
  const [{ c }] = await base().count<{ c: string | number }[]>({ c: '*' });
  const total = Number(c);
  if (s.count === 0 || s.startIndex > total) return { total, rows: [] };
  const q = base().select(`${t.table}.*`);
  if (order) q.orderByRaw(order);
  const rows = await q
    .orderBy(TIEBREAK[t.table])
    .limit(s.count)
    .offset(s.startIndex - 1);
  return { total, rows };
}

/** The last sort key of every page, so that equal sort values keep one order across pages. */
const TIEBREAK = { users: 'users.login_normalized', groups: 'groups.name' };

export async function findScimUser(db: Tx, id: string): Promise<ScimUser | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db('users').where({ id }).first();
  return r ? scimUserFromRow(r) : undefined;
}

/** Sets the provisioning client's identifier of a user; marks the user modified. */
export async function setUserExternalId(
  db: Tx,
  id: string,
  externalId: string | null,
  now: Date,
): Promise<void> {
  await db('users').where({ id }).update({ external_id: externalId, updated_at: now });
}

/** Marks a user modified (SCIM meta.lastModified) after a change stored elsewhere (contact methods). */
export async function touchUser(db: Tx, id: string, now: Date): Promise<void> {
  await db('users').where({ id }).update({ updated_at: now });
}

/** The groups of each user (id and name), for the read-only `groups` attribute of a SCIM User. */
export async function groupsOfUsers(
  db: Tx,
  userIds: readonly string[],
): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const out = new Map<string, Array<{ id: string; name: string }>>();
  if (!userIds.length) return out;
  const rows = await db('group_members')
    .join('groups', 'groups.id', 'group_members.group_id')
    .whereIn('group_members.user_id', userIds)
    .orderBy('groups.name')
    .select('group_members.user_id', 'groups.id', 'groups.name');
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.user_id, list);
  }
  return out;
}

/** The contact methods the organisation pre-registered for each of these users (one query a page). */
export async function organizationCredentialsOf(
  db: Tx,
  userIds: readonly string[],
): Promise<Map<string, Credential[]>> {
  return credentialsOfUsers(db, userIds, { source: 'organization' });
}

export interface ScimGroup {
  id: string;
  name: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const scimGroupFromRow = (r: any): ScimGroup => ({
  id: r.id,
  name: r.name,
  externalId: r.external_id ?? null,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at ?? r.created_at),
});

export async function scimGroupPage(
  db: Tx,
  s: ScimPageQuery,
): Promise<{ total: number; groups: ScimGroup[] }> {
  const { total, rows } = await page(db, s, { table: 'groups', columns: GROUP_COLUMNS, sort: GROUP_SORT });
  return { total, groups: rows.map(scimGroupFromRow) };
}

export async function findScimGroup(db: Tx, id: string): Promise<ScimGroup | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db('groups').where({ id }).first();
  return r ? scimGroupFromRow(r) : undefined;
}

export interface ScimMember {
  id: string;
  login: string;
  displayName: string;
}

/** The members of each group, in login order (at most `limit` per call in all). */
export async function membersOfGroups(
  db: Tx,
  groupIds: readonly string[],
  limit: number,
): Promise<Map<string, ScimMember[]>> {
  const out = new Map<string, ScimMember[]>();
  if (!groupIds.length) return out;
  const rows = await db('group_members')
    .join('users', 'users.id', 'group_members.user_id')
    .whereIn('group_members.group_id', groupIds)
    .orderBy(['group_members.group_id', 'users.login_normalized'])
    .limit(limit)
    .select('group_members.group_id', 'users.id', 'users.login', 'users.display_name');
  for (const r of rows) {
    const list = out.get(r.group_id) ?? [];
    list.push({ id: r.id, login: r.login, displayName: r.display_name });
    out.set(r.group_id, list);
  }
  return out;
}

/** Which of these ids are users (SCIM member values are checked before anything is written). */
export async function existingUserIds(db: Tx, ids: readonly string[]): Promise<Set<string>> {
  const valid = ids.filter((i) => UUID.test(i)).map((i) => i.toLowerCase());
  if (!valid.length) return new Set();
  const rows = await db('users').whereIn('id', valid).select('id');
  return new Set(rows.map((r: any) => r.id));
}

/** Renames a group and sets its externalId; DuplicateError when the name is taken. */
export async function updateScimGroup(
  db: Tx,
  id: string,
  patch: { name?: string; externalId?: string | null },
  now: Date,
): Promise<void> {
  const row: Record<string, unknown> = { updated_at: now };
  if (patch.name !== undefined) row.name = patch.name;
  if (patch.externalId !== undefined) row.external_id = patch.externalId;
  if (patch.name !== undefined) {
    const taken = await db('groups').where({ name: patch.name }).whereNot({ id }).first();
    if (taken) throw new DuplicateError(`group ${patch.name} exists`);
  }
  try {
    await db('groups').where({ id }).update(row);
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new DuplicateError(`group ${patch.name} exists`);
    throw err;
  }
}

export async function touchGroup(db: Tx, id: string, now: Date): Promise<boolean> {
  return affected(await db('groups').where({ id }).update({ updated_at: now })) > 0;
}

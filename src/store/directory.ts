import { affected, type Tx } from '../db/knex.ts';
import type { Group } from './groups.ts';
import { normalizeLogin, type User, userFromRow } from './users.ts';

/** SQL for administration: searching users, group membership, wiping credentials, report inputs. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** LIKE metacharacters in user input are matched literally. */
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface UserSearch {
  q?: string;
  status?: 'active' | 'disabled';
  role?: 'admin' | 'helpdesk';
  group?: string;
  limit?: number;
  /** Keyset paging: only users whose normalized login sorts after this (the previous page's `next`). */
  after?: string;
}

export interface UserPage {
  users: User[];
  /** The cursor of the next page (pass as `after`), or null when this page is the last. */
  next: string | null;
}

/**
 * Matches the login, name or profile email (case-insensitive substring); ordered by login, one page
 * at a time by keyset (no OFFSET, no count). On PostgreSQL with pg_trgm the substring match uses the
 * trigram indexes of migration 20261202020000. A query that is exactly a login or an email (the
 * usual look-up of one account) finds that account alone through the unique login index and the
 * lower(email) index; a shorter or partial query lists every substring match.
 */
export async function searchUsers(db: Tx, s: UserSearch): Promise<UserPage> {
  const limit = Math.min(s.limit ?? 50, 500);
  const filters = (q: ReturnType<typeof db>) => {
    if (s.status) q.where({ status: s.status });
    if (s.role) q.whereRaw('roles @> ?::jsonb', [JSON.stringify([s.role])]);
    if (s.group) {
      q.whereIn(
        'id',
        db('group_members')
          .join('groups', 'groups.id', 'group_members.group_id')
          .where('groups.name', s.group)
          .select('user_id'),
      );
    }
    if (s.after !== undefined) q.where('login_normalized', '>', s.after);
    return q;
  };
  const text = s.q?.trim();
  if (text && s.after === undefined) {
    // Exact fast path: a query that is someone's login or email answers with that user alone, from
    // the unique login index and the lower(email) index, before any substring scan.
    const exact = await filters(
      db('users').where((w) =>
        w
          .where('login_normalized', normalizeLogin(text))
          .orWhereRaw('lower(email) = ?', [text.toLowerCase()]),
      ),
    )
      .orderBy('login_normalized')
      .limit(limit);
    if (exact.length) return { users: exact.map(userFromRow), next: null };
  }
  const q = filters(db('users'));
  if (text) q.where((w) => substring(w, text));
  const rows = await q.orderBy('login_normalized').limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    users: page.map(userFromRow),
    next: rows.length > limit ? page[page.length - 1].login_normalized : null,
  };
}

function substring(w: any, text: string) {
  const pattern = `%${likeEscape(normalizeLogin(text))}%`;
  const raw = `%${likeEscape(text.toLowerCase())}%`;
  return w
    .whereRaw("login_normalized like ? escape '\\'", [pattern])
    .orWhereRaw("lower(display_name) like ? escape '\\'", [raw])
    .orWhereRaw("lower(coalesce(email, '')) like ? escape '\\'", [raw]);
}

export async function findGroupById(db: Tx, id: string): Promise<Group | undefined> {
  if (!UUID.test(id)) return undefined;
  const r = await db('groups').where({ id }).first();
  return r ? { id: r.id, name: r.name, createdAt: new Date(r.created_at) } : undefined;
}

export async function deleteGroup(db: Tx, id: string): Promise<boolean> {
  return affected(await db('groups').where({ id }).delete()) > 0;
}

export async function removeMember(db: Tx, groupId: string, userId: string): Promise<boolean> {
  return affected(await db('group_members').where({ group_id: groupId, user_id: userId }).delete()) > 0;
}

export interface Member {
  id: string;
  login: string;
  displayName: string;
}

export async function listMembers(db: Tx, groupId: string): Promise<Member[]> {
  const rows = await db('group_members')
    .join('users', 'users.id', 'group_members.user_id')
    .where({ group_id: groupId })
    .orderBy('users.login_normalized')
    .select('users.id', 'users.login', 'users.display_name');
  return rows.map((r: any) => ({ id: r.id, login: r.login, displayName: r.display_name }));
}

/** Group names of many users at once (report and list pages). */
export async function groupNamesOfUsers(db: Tx, userIds: string[] | 'all'): Promise<Map<string, string[]>> {
  const q = db('group_members')
    .join('groups', 'groups.id', 'group_members.group_id')
    .select('group_members.user_id', 'groups.name')
    .orderBy('groups.name');
  if (userIds !== 'all') q.whereIn('group_members.user_id', userIds);
  const out = new Map<string, string[]>();
  for (const r of await q) {
    const list = out.get(r.user_id) ?? [];
    list.push(r.name);
    out.set(r.user_id, list);
  }
  return out;
}

/** Removes every registered method of a user ("require re-registration"); returns how many. */
export async function deleteAllCredentials(db: Tx, userId: string): Promise<number> {
  return affected(await db('credentials').where({ user_id: userId }).delete());
}

export async function clearSecurityInfoConfirmed(db: Tx, userId: string): Promise<void> {
  await db('users').where({ id: userId }).update({ security_info_confirmed_at: null });
}

/** Active users with what the reports need: roles only (no secrets). */
export async function activeUserRoles(db: Tx): Promise<Array<{ id: string; roles: string[] }>> {
  const rows = await db('users').where({ status: 'active' }).select('id', 'roles');
  return rows.map((r: any) => ({
    id: r.id,
    roles: typeof r.roles === 'string' ? JSON.parse(r.roles) : r.roles,
  }));
}

export async function countUsersByStatus(db: Tx): Promise<Record<string, number>> {
  const rows = await db('users')
    .select('status')
    .count<{ status: string; c: string | number }[]>({ c: '*' })
    .groupBy('status');
  const out: Record<string, number> = {};
  for (const r of rows) out[r.status] = Number(r.c);
  return out;
}

/** The users holding a role (administrators to notify, helpdesk recipients). */
export async function usersWithRole(db: Tx, role: string): Promise<User['id'][]> {
  const rows = await db('users')
    .where({ status: 'active' })
    .whereRaw('roles @> ?::jsonb', [JSON.stringify([role])])
    .select('id');
  return rows.map((r: any) => r.id);
}

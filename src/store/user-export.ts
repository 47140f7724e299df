import type { Tx } from '../db/knex.ts';
import type { Role } from './users.ts';

/** One user as the CSV export writes it: profile, groups and the contact methods the organisation added. */
export interface ExportedUser {
  login: string;
  displayName: string;
  email: string | null;
  locale: string | null;
  roles: Role[];
  passwordManaged: 'local' | 'external';
  groups: string[];
  mobilePhone: string | null;
  alternatePhone: string | null;
  alternateEmail: string | null;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** Every user in login order, a page at a time (keyset), so memory stays bounded by one page. */
export async function* iterateUsersForExport(db: Tx, page = 500): AsyncGenerator<ExportedUser> {
  let after = '';
  for (;;) {
    const users = await db('users')
      .where('login_normalized', '>', after)
      .orderBy('login_normalized')
      .limit(page)
      .select(
        'id',
        'login',
        'login_normalized',
        'display_name',
        'email',
        'locale',
        'roles',
        'password_managed',
      );
    if (!users.length) return;
    const ids = users.map((u: { id: string }) => u.id);
    const groups = new Map<string, string[]>();
    for (const r of await db('group_members')
      .join('groups', 'groups.id', 'group_members.group_id')
      .whereIn('group_members.user_id', ids)
      .orderBy('groups.name')
      .select('group_members.user_id as user_id', 'groups.name as name')) {
      groups.set(r.user_id, [...(groups.get(r.user_id) ?? []), r.name]);
    }
    const contacts = new Map<string, Record<string, string>>();
    for (const r of await db('credentials')
      .whereIn('user_id', ids)
      .where({ source: 'organization' })
      .select('user_id', 'kind', 'data')) {
      const data = json(r.data) as Record<string, unknown>;
      const slot =
        r.kind === 'email' ? 'alternateEmail' : data.type === 'mobile' ? 'mobilePhone' : 'alternatePhone';
      const value = String(r.kind === 'email' ? data.address : data.e164);
      contacts.set(r.user_id, { ...(contacts.get(r.user_id) ?? {}), [slot]: value });
    }
    for (const u of users) {
      const c = contacts.get(u.id) ?? {};
      yield {
        login: u.login,
        displayName: u.display_name,
        email: u.email,
        locale: u.locale,
        roles: json(u.roles) as Role[],
        passwordManaged: u.password_managed,
        groups: groups.get(u.id) ?? [],
        mobilePhone: c.mobilePhone ?? null,
        alternatePhone: c.alternatePhone ?? null,
        alternateEmail: c.alternateEmail ?? null,
      };
    }
    after = users[users.length - 1].login_normalized;
  }
}

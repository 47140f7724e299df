import { iterateUsersForExport } from '../../store/user-export.ts';
import type { AdminDepsWithConfig } from './contacts.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { csvCell } from './service.ts';
import { audit } from './shared.ts';

/*
 * Users out as CSV (issue 16), in the columns the import (users-import.ts) reads back.
 */

export const USER_CSV_COLUMNS = [
  'login',
  'name',
  'email',
  'locale',
  'groups',
  'roles',
  'mobile_phone',
  'alternate_phone',
  'alternate_email',
  'password_managed',
] as const;
export type UserCsvColumn = (typeof USER_CSV_COLUMNS)[number];

/** Every user as CSV lines, streamed (with a byte-order mark, for spreadsheets). Audited once. */
export async function exportUsersCsv(
  deps: AdminDepsWithConfig,
  actor: Actor,
): Promise<AsyncGenerator<string>> {
  requirePermission(actor, 'users.read');
  await audit(deps.db, deps, actor, 'admin.users.export', null);
  const db = deps.db;
  return (async function* lines() {
    yield `\uFEFF${USER_CSV_COLUMNS.join(',')}\r\n`;
    for await (const u of iterateUsersForExport(db)) {
      yield `${[
        u.login,
        u.displayName,
        u.email ?? '',
        u.locale ?? '',
        u.groups.join(';'),
        u.roles.join(';'),
        u.mobilePhone ?? '',
        u.alternatePhone ?? '',
        u.alternateEmail ?? '',
        u.passwordManaged,
      ]
        .map(csvCell)
        .join(',')}\r\n`;
    }
  })();
}

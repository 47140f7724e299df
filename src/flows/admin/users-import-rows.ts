import crypto from 'node:crypto';
import { LOCALES } from '../../config.ts';
import type { MessageKey, Params } from '../../i18n/index.ts';
import type { Role } from '../../store/users.ts';
import type { ContactSlot } from './contacts.ts';
import { LOGIN_RE } from './service.ts';
import type { UserCsvColumn } from './users-csv.ts';

/*
 * One CSV row of the users import (issue 16): its cells checked on their own, before the database
 * is asked anything. An empty cell leaves a value as it is; "-" clears it.
 */

export const SLOT_OF: Partial<Record<UserCsvColumn, ContactSlot>> = {
  mobile_phone: 'mobilePhone',
  alternate_phone: 'alternatePhone',
  alternate_email: 'alternateEmail',
};

export const columnOfSlot = (slot: string): string =>
  Object.entries(SLOT_OF).find(([, s]) => s === slot)?.[0] ?? slot;

export interface RowError {
  line: number;
  column: string;
  key: MessageKey;
  params?: Params;
}

export interface RowPlan {
  line: number;
  login: string;
  name?: string;
  email?: string | null;
  locale?: string | null;
  groups?: string[];
  roles?: Role[];
  passwordManaged?: 'local' | 'external';
  contacts: Partial<Record<ContactSlot, string | null>>;
}

/** Lists in a cell: "sales;tokyo" (a ; or a |). */
const list = (v: string) =>
  v
    .split(/[;|]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** A cell the export protected from spreadsheets ('+81...) reads back as written. */
const unprotect = (v: string) => (/^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? v.slice(1) : v.trim());

export function parseRow(
  line: number,
  header: UserCsvColumn[],
  cells: string[],
  groups: ReadonlySet<string>,
  errors: RowError[],
): RowPlan | undefined {
  const before = errors.length;
  const err = (column: string, key: MessageKey, params?: Params) =>
    errors.push(params ? { line, column, key, params } : { line, column, key });
  if (cells.length !== header.length) {
    err('*', 'admin.import.cellCount', { expected: header.length, got: cells.length });
    return undefined;
  }
  const v = Object.fromEntries(header.map((h, i) => [h, unprotect(cells[i])])) as Record<
    UserCsvColumn,
    string
  >;
  const login = v.login ?? '';
  if (!login) err('login', 'admin.field.required');
  else if (!LOGIN_RE.test(login)) err('login', 'admin.user.loginFormat');
  const row: RowPlan = { line, login, contacts: {} };
  if (v.name) {
    if ([...v.name].length > 200 || /\p{Cc}/u.test(v.name)) err('name', 'admin.field.tooLong', { max: 200 });
    else row.name = v.name;
  }
  if (v.email) {
    if (v.email === '-') row.email = null;
    else if (v.email.length > 254 || !/^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/.test(v.email))
      err('email', 'admin.import.email');
    else row.email = v.email;
  }
  if (v.locale) {
    if (v.locale === '-') row.locale = null;
    else if (!(LOCALES as readonly string[]).includes(v.locale))
      err('locale', 'admin.import.locale', { allowed: LOCALES.join(', ') });
    else row.locale = v.locale;
  }
  if (v.groups) {
    const names = list(v.groups);
    const unknown = names.filter((n) => !groups.has(n));
    if (unknown.length) err('groups', 'admin.policy.unknownGroups', { names: unknown.join(', ') });
    else row.groups = names;
  }
  if (v.roles) {
    const roles = v.roles === '-' ? [] : list(v.roles);
    const bad = roles.filter((r) => r !== 'admin' && r !== 'helpdesk');
    if (bad.length) err('roles', 'admin.import.roles', { names: bad.join(', ') });
    else row.roles = [...new Set(roles)] as Role[];
  }
  if (v.password_managed) {
    if (v.password_managed !== 'local' && v.password_managed !== 'external')
      err('password_managed', 'admin.import.passwordManaged');
    else row.passwordManaged = v.password_managed;
  }
  for (const [col, slot] of Object.entries(SLOT_OF) as Array<[UserCsvColumn, ContactSlot]>) {
    const x = v[col];
    if (x) row.contacts[slot] = x === '-' ? null : x;
  }
  return errors.length === before ? row : undefined;
}

/**
 * The logins seen so far, to refuse a login's second row: a 64-bit fingerprint (SHA-256 prefix) of
 * each normalized login in an open-addressing table of BigUint64Array. Eight to sixteen bytes a row
 * (1.6 MB for 100,000 rows) instead of the strings themselves; two different logins share a
 * fingerprint with a probability of about n²/2⁶⁵ (3·10⁻⁸ at the 1,000,000-row limit).
 */
export class LoginFingerprints {
  private slots = new BigUint64Array(1 << 12);
  private size = 0;

  /** Adds the login; false when it was already there. */
  add(normalized: string): boolean {
    let fp = crypto.createHash('sha256').update(normalized).digest().readBigUInt64LE(0);
    if (fp === 0n) fp = 1n; // 0 marks an empty slot
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    const added = this.put(this.slots, fp);
    if (added) this.size++;
    return added;
  }

  private put(table: BigUint64Array, fp: bigint): boolean {
    const mask = table.length - 1;
    let i = Number(fp & BigInt(mask));
    for (;;) {
      const here = table[i];
      if (here === 0n) {
        table[i] = fp;
        return true;
      }
      if (here === fp) return false;
      i = (i + 1) & mask;
    }
  }

  private grow() {
    const old = this.slots;
    this.slots = new BigUint64Array(old.length * 2);
    for (const fp of old) if (fp !== 0n) this.put(this.slots, fp);
  }
}

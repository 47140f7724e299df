import { LOCALES } from '../../config.ts';
import type { Tx } from '../../db/knex.ts';
import type { MessageKey, Params } from '../../i18n/index.ts';
import { recordAudit } from '../../store/audit.ts';
import { listCredentials } from '../../store/credentials.ts';
import { addMember, groupNamesOf, listGroups } from '../../store/groups.ts';
import { iterateUsersForExport } from '../../store/user-export.ts';
import {
  createUser as createUserRow,
  findUserByLogin,
  normalizeLogin,
  type Role,
  type User,
  updateUser as updateUserRow,
} from '../../store/users.ts';
import {
  type AdminDepsWithConfig,
  applyContactChanges,
  type ContactChange,
  type ContactSlot,
  notifyContactChanges,
  planContactChanges,
} from './contacts.ts';
import { CsvSyntaxError, readCsv } from './csv-reader.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { csvCell, LOGIN_RE, readPolicy } from './service.ts';
import { FieldError } from './validation.ts';

/*
 * Users in and out as CSV (issue 16). Import streams: records are read as the bytes arrive and
 * written in batches, so memory is bounded by a batch whatever the file's size. A row updates the
 * user with its login (idempotent: the same file twice changes nothing the second time); an empty
 * cell leaves that value as it is, and "-" clears a contact method. A dry run checks every row
 * against the database and reports each error with its line, writing nothing.
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
type Column = (typeof USER_CSV_COLUMNS)[number];

const SLOT_OF: Partial<Record<Column, ContactSlot>> = {
  mobile_phone: 'mobilePhone',
  alternate_phone: 'alternatePhone',
  alternate_email: 'alternateEmail',
};

/** Lists in a cell: "sales;tokyo" (a ; or a |). */
const list = (v: string) =>
  v
    .split(/[;|]/)
    .map((x) => x.trim())
    .filter(Boolean);

/** A cell the export protected from spreadsheets ('+81...) reads back as written. */
const unprotect = (v: string) => (/^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? v.slice(1) : v.trim());

export interface RowError {
  line: number;
  column: string;
  key: MessageKey;
  params?: Params;
}

export interface ImportProgress {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ImportResult extends ImportProgress {
  dryRun: boolean;
  /** Row errors, first MAX_REPORTED of them (`failed` counts them all). */
  errors: RowError[];
  truncated: boolean;
}

const MAX_REPORTED = 10_000;
const BATCH = 200;
const MAX_ROWS = 1_000_000;

interface RowPlan {
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

function parseRow(
  line: number,
  header: Column[],
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
  const v = Object.fromEntries(header.map((h, i) => [h, unprotect(cells[i])])) as Record<Column, string>;
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
  for (const [col, slot] of Object.entries(SLOT_OF) as Array<[Column, ContactSlot]>) {
    const x = v[col];
    if (x) row.contacts[slot] = x === '-' ? null : x;
  }
  return errors.length === before ? row : undefined;
}

/** Checks a row against the database; returns what would change (nothing is written). */
async function planRow(
  db: Tx,
  deps: AdminDepsWithConfig,
  allowedCountries: readonly string[],
  row: RowPlan,
  errors: RowError[],
) {
  const user = await findUserByLogin(db, row.login);
  const creds = user ? await listCredentials(db, user.id) : [];
  const probe: User =
    user ??
    ({
      id: '',
      login: row.login,
      email: row.email ?? null,
    } as User);
  let steps: ReturnType<typeof planContactChanges> = [];
  if (Object.keys(row.contacts).length) {
    try {
      steps = planContactChanges(
        { ...probe, email: row.email === undefined ? probe.email : row.email },
        creds,
        row.contacts,
        deps.config?.organizationCountry ?? 'JP',
        allowedCountries,
      );
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      for (const [slot, m] of Object.entries(e.fields)) {
        const column = Object.entries(SLOT_OF).find(([, s]) => s === slot)?.[0] ?? slot;
        errors.push({ line: row.line, column, key: m.key, params: m.params });
      }
      return undefined;
    }
  }
  const patch: Parameters<typeof updateUserRow>[2] = {};
  if (user) {
    if (row.name !== undefined && row.name !== user.displayName) patch.displayName = row.name;
    if (row.email !== undefined && row.email !== user.email) patch.email = row.email;
    if (row.locale !== undefined && row.locale !== user.locale) patch.locale = row.locale;
    if (
      row.roles !== undefined &&
      JSON.stringify([...row.roles].sort()) !== JSON.stringify([...user.roles].sort())
    )
      patch.roles = row.roles;
    if (row.passwordManaged !== undefined && row.passwordManaged !== user.passwordManaged)
      patch.passwordManaged = row.passwordManaged;
  }
  const have = user ? new Set(await groupNamesOf(db, user.id)) : new Set<string>();
  const joins = (row.groups ?? []).filter((g) => !have.has(g));
  return { user, steps, patch, joins };
}

/**
 * Imports users from CSV text (any async source of chunks). With `dryRun`, only checks. Bad CSV is a
 * FieldError (400), never a crash; row errors are reported with their line numbers.
 */
export async function importUsersCsv(
  deps: AdminDepsWithConfig,
  actor: Actor,
  source: AsyncIterable<string | Uint8Array>,
  opts: { dryRun: boolean; onProgress?: (p: ImportProgress) => void; progressEvery?: number },
): Promise<ImportResult> {
  requirePermission(actor, 'users.write');
  const policy = await readPolicy(deps.db);
  const groupIds = new Map((await listGroups(deps.db)).map((g) => [g.name, g.id]));
  const groupNames = new Set(groupIds.keys());
  const result: ImportResult = {
    dryRun: opts.dryRun,
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    errors: [],
    truncated: false,
  };
  const every = opts.progressEvery ?? 1000;
  const seen = new Set<string>();
  let header: Column[] | undefined;
  let batch: RowPlan[] = [];
  const notices: Array<{ user: User; changes: ContactChange[] }> = [];
  const report = (rowErrors: RowError[]) => {
    if (!rowErrors.length) return;
    result.failed++;
    for (const e of rowErrors) {
      if (result.errors.length < MAX_REPORTED) result.errors.push(e);
      else result.truncated = true;
    }
  };

  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    const run = async (trx: Tx) => {
      const now = deps.clock.now();
      for (const row of rows) {
        const rowErrors: RowError[] = [];
        const p = await planRow(trx, deps, policy.allowedPhoneCountries, row, rowErrors);
        if (!p) {
          report(rowErrors);
          continue;
        }
        const changedFields = Object.keys(p.patch);
        if (p.user && !changedFields.length && !p.steps.length && !p.joins.length) {
          result.unchanged++;
          continue;
        }
        if (opts.dryRun) {
          if (p.user) result.updated++;
          else result.created++;
          continue;
        }
        let user = p.user;
        if (!user) {
          user = await createUserRow(
            trx,
            {
              login: row.login,
              displayName: row.name,
              email: row.email ?? null,
              roles: row.roles ?? [],
              passwordHash: null,
              locale: row.locale ?? null,
            },
            now,
          );
          if (row.passwordManaged === 'external')
            await updateUserRow(trx, user.id, { passwordManaged: 'external' }, now);
        } else if (changedFields.length) {
          await updateUserRow(trx, user.id, p.patch, now);
        }
        for (const g of p.joins) await addMember(trx, groupIds.get(g)!, user.id);
        const changes = await applyContactChanges(trx, user.id, p.steps, now);
        await recordAudit(trx, {
          at: now,
          actorId: actor.id,
          subjectId: user.id,
          activity: p.user ? 'admin.user.update' : 'admin.user.create',
          result: 'succeeded',
          ip: actor.ip ?? null,
          userAgent: actor.userAgent ?? null,
          details: {
            via: actor.via,
            import: true,
            line: row.line,
            changed: p.user ? changedFields : undefined,
            groupsAdded: p.joins.length ? p.joins : undefined,
            contactMethods: changes.length ? changes : undefined,
          },
        });
        if (changes.length) notices.push({ user: { ...user, email: row.email ?? user.email }, changes });
        if (p.user) result.updated++;
        else result.created++;
      }
    };
    if (opts.dryRun) await run(deps.db);
    else await deps.db.transaction(run);
    for (const n of notices.splice(0)) await notifyContactChanges(deps, n.user, n.changes, actor);
  };

  try {
    for await (const rec of readCsv(source)) {
      if (!header) {
        const names = rec.cells.map((c) => c.trim().toLowerCase());
        const unknown = names.filter((n) => !(USER_CSV_COLUMNS as readonly string[]).includes(n));
        const dup = names.filter((n, i) => names.indexOf(n) !== i);
        if (!names.includes('login') || unknown.length || dup.length)
          throw new FieldError({
            file: {
              key: 'admin.import.header',
              params: {
                columns: USER_CSV_COLUMNS.join(', '),
                unknown: [...unknown, ...dup].join(', ') || '-',
              },
            },
          });
        header = names as Column[];
        continue;
      }
      result.rows++;
      if (result.rows > MAX_ROWS)
        throw new FieldError({ file: { key: 'admin.import.tooManyRows', params: { max: MAX_ROWS } } }, 413);
      const rowErrors: RowError[] = [];
      const row = parseRow(rec.line, header, rec.cells, groupNames, rowErrors);
      if (row) {
        const key = normalizeLogin(row.login);
        if (seen.has(key)) {
          rowErrors.push({ line: rec.line, column: 'login', key: 'admin.import.duplicate' });
        } else seen.add(key);
      }
      if (rowErrors.length || !row) report(rowErrors);
      else {
        batch.push(row);
        if (batch.length >= BATCH) await flush();
      }
      if (opts.onProgress && result.rows % every === 0) opts.onProgress(progressOf(result));
    }
    await flush();
  } catch (e) {
    if (e instanceof CsvSyntaxError)
      throw new FieldError({
        file: { key: `admin.import.syntax.${e.reason}` as MessageKey, params: { line: e.line } },
      });
    throw e;
  }
  if (!header) throw new FieldError({ file: { key: 'admin.import.empty' } });
  // Rows are checked in batches and duplicates at once: the report is in line order.
  result.errors.sort((a, b) => a.line - b.line);
  opts.onProgress?.(progressOf(result));
  if (!opts.dryRun) {
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      actorId: actor.id,
      subjectId: null,
      activity: 'admin.users.import',
      result: result.failed ? 'failed' : 'succeeded',
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      details: { via: actor.via, ...progressOf(result) },
    });
  }
  return result;
}

const progressOf = (r: ImportProgress): ImportProgress => ({
  rows: r.rows,
  created: r.created,
  updated: r.updated,
  unchanged: r.unchanged,
  failed: r.failed,
});

/** Every user as CSV lines, streamed (with a byte-order mark, for spreadsheets). Audited once. */
export async function exportUsersCsv(
  deps: AdminDepsWithConfig,
  actor: Actor,
): Promise<AsyncGenerator<string>> {
  requirePermission(actor, 'users.read');
  await recordAudit(deps.db, {
    at: deps.clock.now(),
    actorId: actor.id,
    subjectId: null,
    activity: 'admin.users.export',
    result: 'succeeded',
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    details: { via: actor.via },
  });
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

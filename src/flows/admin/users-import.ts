import { organizationMethodEmail } from '../../account/notices.ts';
import type { Tx } from '../../db/knex.ts';
import { queueEmails } from '../../delivery/queue.ts';
import { isLocale, type MessageKey, translator } from '../../i18n/index.ts';
import { maskAddress } from '../../methods/email/index.ts';
import { maskPhone } from '../../methods/phone/numbers.ts';
import { type AuditEvent, recordAudit, recordAuditMany } from '../../store/audit.ts';
import { listGroups } from '../../store/groups.ts';
import { replaceOrganizationCredentialData } from '../../store/preregistered.ts';
import {
  contactCredentialsOf,
  deleteOrganizationCredentials,
  groupIdsOf,
  type ImportedUser,
  insertImportedUsers,
  insertMemberships,
  insertOrganizationCredentials,
  updateImportedUsers,
  usersByNormalizedLogins,
} from '../../store/user-import.ts';
import { normalizeLogin, type User } from '../../store/users.ts';
import {
  type AdminDepsWithConfig,
  type ContactChange,
  type Planned,
  planContactChanges,
} from './contacts.ts';
import { CsvSyntaxError, readCsv } from './csv-reader.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { readPolicy } from './service.ts';
import { USER_CSV_COLUMNS, type UserCsvColumn } from './users-csv.ts';
import {
  columnOfSlot,
  LoginFingerprints,
  parseRow,
  type RowError,
  type RowPlan,
} from './users-import-rows.ts';
import { FieldError } from './validation.ts';

export type { RowError } from './users-import-rows.ts';

/*
 * Users in from CSV (issue 16), streamed with bounded memory. Records are read as the bytes arrive
 * and handled in batches of BATCH rows: one IN (…) read per table for the batch's existing users,
 * their phones and emails and their groups, then one transaction with multi-row inserts (users,
 * memberships, pre-registered methods, audit events, notices) and one UPDATE … FROM (VALUES …) for
 * the users that differ. What stays in memory is one batch, the first MAX_REPORTED errors and an
 * 8-byte fingerprint per login (to refuse a login's second row).
 *
 * A row updates the user with its login; a row that changes nothing writes nothing (no update, no
 * audit event), so importing the same file again changes nothing. A login appearing twice is an
 * error on its second line (the first is imported): "last wins" would make a re-import flip the
 * user back and forth. A dry run reads and checks every row the same way and writes nothing.
 */

export interface ImportProgress {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ImportResult extends ImportProgress {
  dryRun: boolean;
  /** Row errors in line order, the first MAX_REPORTED of them (`failed` counts the rows). */
  errors: RowError[];
  truncated: boolean;
}

export interface ImportOptions {
  dryRun: boolean;
  /** Called after each batch is written (or checked), with the rows done so far; awaited. */
  onProgress?: (p: ImportProgress) => void | Promise<void>;
  /** Rows per transaction (default BATCH). */
  batchSize?: number;
}

export const MAX_REPORTED = 1000;
export const BATCH = 500;
export const MAX_ROWS = 1_000_000;

type Target = Omit<ImportedUser, 'login' | 'normalized'>;

interface Planned1 {
  row: RowPlan;
  normalized: string;
  user: User | undefined;
  target: Target;
  changed: string[];
  steps: Planned[];
  joins: string[];
}

const sameRoles = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

const label = (kind: string, data: Record<string, unknown>) =>
  kind === 'email' ? maskAddress(data.address) : maskPhone(data.e164);

const progressOf = (r: ImportProgress): ImportProgress => ({
  rows: r.rows,
  created: r.created,
  updated: r.updated,
  unchanged: r.unchanged,
  failed: r.failed,
});

/**
 * Imports users from CSV (any async source of chunks). With `dryRun`, only checks. Bad CSV is a
 * FieldError (400), never a crash; row errors are reported with their line numbers.
 */
export async function importUsersCsv(
  deps: AdminDepsWithConfig,
  actor: Actor,
  source: AsyncIterable<string | Uint8Array>,
  opts: ImportOptions,
): Promise<ImportResult> {
  requirePermission(actor, 'users.write');
  const batchSize = Math.max(1, opts.batchSize ?? BATCH);
  const policy = await readPolicy(deps.db);
  const groupIds = new Map((await listGroups(deps.db)).map((g) => [g.name, g.id]));
  const groupNames = new Set(groupIds.keys());
  const country = deps.config?.organizationCountry ?? 'JP';
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
  const seen = new LoginFingerprints();
  let header: UserCsvColumn[] | undefined;
  let batch: RowPlan[] = [];

  const report = (rowErrors: RowError[]) => {
    if (!rowErrors.length) return;
    result.failed++;
    result.errors.push(...rowErrors);
    // Keep the first MAX_REPORTED by line (a batch's checks come after later lines' cell errors).
    if (result.errors.length > 2 * MAX_REPORTED) trimErrors();
  };
  const trimErrors = () => {
    result.errors.sort((a, b) => a.line - b.line);
    if (result.errors.length > MAX_REPORTED) {
      result.errors.length = MAX_REPORTED;
      result.truncated = true;
    }
  };

  /** Checks a batch against the database: what each row would change (nothing is written). */
  const plan = async (db: Tx, rows: RowPlan[], lock: boolean): Promise<Planned1[]> => {
    const normalized = rows.map((r) => normalizeLogin(r.login));
    const existing = await usersByNormalizedLogins(db, normalized, lock);
    const ids = [...existing.values()].map((u) => u.id);
    const creds = await contactCredentialsOf(db, ids);
    const groups = await groupIdsOf(db, ids);
    const out: Planned1[] = [];
    rows.forEach((row, i) => {
      const user = existing.get(normalized[i]);
      const target: Target = {
        displayName: row.name ?? user?.displayName ?? '',
        email: row.email === undefined ? (user?.email ?? null) : row.email,
        locale: row.locale === undefined ? (user?.locale ?? null) : row.locale,
        roles: row.roles ?? user?.roles ?? [],
        passwordManaged: row.passwordManaged ?? user?.passwordManaged ?? 'local',
      };
      const changed: string[] = [];
      if (user) {
        if (target.displayName !== user.displayName) changed.push('displayName');
        if (target.email !== user.email) changed.push('email');
        if (target.locale !== user.locale) changed.push('locale');
        if (!sameRoles(target.roles, user.roles)) changed.push('roles');
        if (target.passwordManaged !== user.passwordManaged) changed.push('passwordManaged');
      }
      let steps: Planned[] = [];
      if (Object.keys(row.contacts).length) {
        const probe = { ...(user ?? ({ id: '', login: row.login } as User)), email: target.email };
        try {
          steps = planContactChanges(
            probe,
            user ? (creds.get(user.id) ?? []) : [],
            row.contacts,
            country,
            policy.allowedPhoneCountries,
          );
        } catch (e) {
          if (!(e instanceof FieldError)) throw e;
          report(
            Object.entries(e.fields).map(([slot, m]) => ({
              line: row.line,
              column: columnOfSlot(slot),
              key: m.key,
              params: m.params,
            })),
          );
          return;
        }
      }
      const have = user ? (groups.get(user.id) ?? new Set<string>()) : new Set<string>();
      const joins = [...new Set(row.groups ?? [])].filter((g) => !have.has(groupIds.get(g)!));
      if (user && !changed.length && !steps.length && !joins.length) {
        result.unchanged++;
        return;
      }
      out.push({ row, normalized: normalized[i], user, target, changed, steps, joins });
    });
    return out;
  };

  /** Writes a planned batch (inside its transaction). Returns the notices' emails to queue with it. */
  const write = async (trx: Tx, planned: Planned1[]) => {
    const now = deps.clock.now();
    const fresh = planned.filter((p) => !p.user);
    const ids = await insertImportedUsers(
      trx,
      fresh.map((p) => ({ login: p.row.login.trim(), normalized: p.normalized, ...p.target })),
      now,
    );
    await updateImportedUsers(
      trx,
      planned
        .filter((p) => p.user && p.changed.length)
        .map((p) => ({ id: p.user!.id, login: p.user!.login, normalized: p.normalized, ...p.target })),
      now,
    );
    const members: Array<{ groupId: string; userId: string }> = [];
    const adds: Array<{ userId: string; kind: string; data: Record<string, unknown> }> = [];
    const removes: string[] = [];
    const audits: AuditEvent[] = [];
    const emails: Parameters<typeof queueEmails>[1][number][] = [];
    for (const p of planned) {
      const userId = p.user?.id ?? ids.get(p.normalized);
      if (!userId) {
        // Someone created this login since the batch was read: nothing of the row is written.
        report([{ line: p.row.line, column: 'login', key: 'admin.import.raced' }]);
        continue;
      }
      for (const g of p.joins) members.push({ groupId: groupIds.get(g)!, userId });
      const changes: ContactChange[] = [];
      for (const s of p.steps) {
        if (s.op === 'add') {
          adds.push({ userId, kind: s.kind, data: s.data });
          changes.push({ slot: s.slot, change: 'added', label: label(s.kind, s.data) });
        } else if (s.op === 'remove') {
          removes.push(s.existing.id);
          changes.push({ slot: s.slot, change: 'removed', label: label(s.existing.kind, s.existing.data) });
        } else {
          await replaceOrganizationCredentialData(trx, userId, s.existing.id, s.data, now);
          changes.push({ slot: s.slot, change: 'replaced', label: label(s.existing.kind, s.data) });
        }
      }
      audits.push({
        at: now,
        actorId: actor.id,
        subjectId: userId,
        activity: p.user ? 'admin.user.update' : 'admin.user.create',
        result: 'succeeded',
        ip: actor.ip ?? null,
        userAgent: actor.userAgent ?? null,
        details: {
          via: actor.via,
          import: true,
          line: p.row.line,
          changed: p.user ? p.changed : undefined,
          groupsAdded: p.joins.length ? p.joins : undefined,
          contactMethods: changes.length ? changes : undefined,
        },
      });
      if (changes.length && deps.config) {
        const user = {
          ...(p.user ?? ({ id: userId, login: p.row.login } as User)),
          ...p.target,
        } as User;
        for (const c of changes) {
          const email = organizationMethodEmail(
            { clock: deps.clock, config: deps.config },
            user,
            c.change,
            `${translatorSlot(deps, user, c)}: ${c.label}`,
            { ip: actor.ip, userAgent: actor.userAgent },
          );
          if (email) emails.push({ email, userId });
        }
      }
      if (p.user) result.updated++;
      else result.created++;
    }
    await insertMemberships(trx, members);
    await deleteOrganizationCredentials(trx, removes);
    await insertOrganizationCredentials(trx, adds, now);
    await recordAuditMany(trx, audits);
    await queueEmails({ db: trx, box: deps.box, clock: deps.clock }, emails);
  };

  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    if (opts.dryRun) {
      for (const p of await plan(deps.db, rows, false)) {
        if (p.user) result.updated++;
        else result.created++;
      }
    } else {
      // A batch that fails rolls back alone and ends the import (the batches before stay written).
      await deps.db.transaction(async (trx) => write(trx, await plan(trx, rows, true)));
    }
    await opts.onProgress?.(progressOf(result));
  };

  try {
    for await (const rec of readCsv(source)) {
      if (!header) {
        header = readHeader(rec.cells);
        continue;
      }
      result.rows++;
      if (result.rows > MAX_ROWS)
        throw new FieldError({ file: { key: 'admin.import.tooManyRows', params: { max: MAX_ROWS } } }, 413);
      const rowErrors: RowError[] = [];
      const row = parseRow(rec.line, header, rec.cells, groupNames, rowErrors);
      if (row && !seen.add(normalizeLogin(row.login)))
        rowErrors.push({ line: rec.line, column: 'login', key: 'admin.import.duplicate' });
      if (rowErrors.length || !row) report(rowErrors);
      else {
        batch.push(row);
        if (batch.length >= batchSize) await flush();
      }
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
  trimErrors();
  // The import itself is recorded when it changed something: running the same file again leaves
  // the audit log as it was.
  if (!opts.dryRun && result.created + result.updated > 0) {
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

function readHeader(cells: string[]): UserCsvColumn[] {
  const names = cells.map((c) => c.trim().toLowerCase());
  const unknown = names.filter((n) => !(USER_CSV_COLUMNS as readonly string[]).includes(n));
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  if (!names.includes('login') || unknown.length || dup.length)
    throw new FieldError({
      file: {
        key: 'admin.import.header',
        params: { columns: USER_CSV_COLUMNS.join(', '), unknown: [...unknown, ...dup].join(', ') || '-' },
      },
    });
  return names as UserCsvColumn[];
}

const translators = new Map<string, ReturnType<typeof translator>>();

/** The slot's name in the user's language, as notifyContactChanges words the notice. */
function translatorSlot(deps: AdminDepsWithConfig, user: User, c: ContactChange): string {
  const locale = isLocale(user.locale) ? user.locale : deps.config!.defaultLocale;
  let t = translators.get(locale);
  if (!t) {
    t = translator(locale);
    translators.set(locale, t);
  }
  return t(`admin.contact.slot.${c.slot}` as MessageKey);
}

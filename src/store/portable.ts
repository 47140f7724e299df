import type { Db } from '../db/knex.ts';

/**
 * The directory as one JSON document, for moving between the embedded database and PostgreSQL:
 * users, groups and membership, security info (credentials), password history, clients, APIs and
 * their grants, and the policy. Secrets inside stay sealed under SECRET_KEY, so both sides must use the same key. Not
 * carried: sessions, tokens, codes, signing keys (the target makes its own; relying parties fetch
 * the new JWKS), audit events, counters.
 */
export const PORTABLE_TABLES = [
  { table: 'users', key: ['id'] },
  { table: 'groups', key: ['id'] },
  { table: 'group_members', key: ['group_id', 'user_id'] },
  { table: 'credentials', key: ['id'] },
  { table: 'password_history', key: ['id'] },
  { table: 'clients', key: ['client_id'] },
  { table: 'apis', key: ['identifier'] },
  { table: 'api_grants', key: ['client_id', 'api_identifier'] },
  { table: 'settings', key: ['key'] },
] as const;

export const EXPORT_FORMAT = 'tobira-export';

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: 1;
  exportedAt: string;
  tables: Record<string, Record<string, unknown>[]>;
}

export async function exportDirectory(db: Db, now: Date): Promise<ExportDocument> {
  const tables: ExportDocument['tables'] = {};
  for (const { table, key } of PORTABLE_TABLES) {
    tables[table] = await db(table)
      .select('*')
      .orderBy([...key]);
  }
  // Derived data: the credentials trigger rebuilds it on import (and older versions do not know it).
  for (const u of tables.users) {
    delete u.credential_summary;
    delete u.group_names;
  }
  return { format: EXPORT_FORMAT, version: 1, exportedAt: now.toISOString(), tables };
}

export class ImportError extends Error {}

/**
 * Loads an export into a database that has no users yet, in one transaction: all or nothing. Clients
 * and settings that exist already (the built-in apps' clients a first start creates) are replaced.
 */
export async function importDirectory(db: Db, doc: unknown): Promise<Record<string, number>> {
  const d = doc as Partial<ExportDocument>;
  if (!d || d.format !== EXPORT_FORMAT || d.version !== 1 || typeof d.tables !== 'object' || !d.tables) {
    throw new ImportError('import: not a Tobira export (format tobira-export, version 1)');
  }
  const counts: Record<string, number> = {};
  await db.transaction(async (trx) => {
    const [{ n }] = await trx('users').count<{ n: string | number }[]>({ n: '*' });
    if (Number(n) > 0) throw new ImportError('import: the target database already has users');
    for (const { table, key } of PORTABLE_TABLES) {
      const rows = d.tables?.[table] ?? [];
      if (!Array.isArray(rows)) throw new ImportError(`import: ${table} is not a list`);
      const columns = new Set(Object.keys(await trx(table).columnInfo()));
      counts[table] = rows.length;
      for (const row of rows) {
        if (!row || typeof row !== 'object')
          throw new ImportError(`import: a row of ${table} is not an object`);
        const unknown = Object.keys(row).filter((c) => !columns.has(c));
        if (unknown.length)
          throw new ImportError(`import: ${table} has unknown columns ${unknown.join(', ')}`);
        const values: Record<string, unknown> = {};
        for (const [c, v] of Object.entries(row)) {
          values[c] = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
        }
        const q = trx(table).insert(values);
        if (table === 'clients' || table === 'settings') await q.onConflict([...key]).merge();
        else await q;
      }
    }
    // bigIncrements sequences move past the imported ids.
    await trx.raw(
      "select setval(pg_get_serial_sequence('password_history', 'id'), greatest((select max(id) from password_history), 1))",
    );
  });
  return counts;
}

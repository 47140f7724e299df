import fs from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Db } from './db/knex.ts';
import { isServerDatabase } from './store/locks.ts';

export class BackupError extends Error {}

const MAGIC = Buffer.from([0x1f, 0x8b]);

/**
 * A consistent snapshot of the embedded database, written to `file` (gzip'd tar of the PGlite data
 * directory; mode 0600; written to a temporary name first, so a reader never sees half a file).
 * Holding PGlite's only connection through Knex's pool waits for the transaction in progress to end and
 * keeps the next one out; a CHECKPOINT then flushes everything to the data files before the copy, and
 * requests go on as soon as the copy is in memory.
 */
export async function backupEmbedded(db: Db, file: string): Promise<{ bytes: number }> {
  if (isServerDatabase(db)) {
    throw new BackupError('backup: with DATABASE_URL use pg_dump or your PostgreSQL backups (see README)');
  }
  const client = db.client as {
    acquireConnection(): Promise<PGlite>;
    releaseConnection(c: PGlite): Promise<void>;
  };
  const conn = await client.acquireConnection();
  let data: Buffer;
  try {
    await conn.query('checkpoint');
    const blob = await conn.dumpDataDir('gzip');
    data = Buffer.from(await blob.arrayBuffer());
  } finally {
    await client.releaseConnection(conn);
  }
  const target = path.resolve(file);
  const tmp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, target);
  return { bytes: data.length };
}

/**
 * Unpacks a backup into DATA_DIR/pgdata, which must not hold a database yet (restore into a fresh
 * DATA_DIR, or move the old pgdata away first), and checks that the result opens.
 */
export async function restoreEmbedded(dataDir: string, file: string): Promise<{ users: number }> {
  const source = path.resolve(file);
  let data: Buffer;
  try {
    data = fs.readFileSync(source);
  } catch {
    throw new BackupError(`restore: cannot read ${file}`);
  }
  if (!data.subarray(0, 2).equals(MAGIC)) throw new BackupError(`restore: ${file} is not a Tobira backup`);
  const target = path.resolve(dataDir, 'pgdata');
  if (fs.existsSync(target) && fs.readdirSync(target).length) {
    throw new BackupError(
      `restore: ${target} already holds a database; restore into an empty DATA_DIR or move pgdata away first`,
    );
  }
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  const { PGlite } = await import('@electric-sql/pglite');
  let pg: PGlite | undefined;
  try {
    pg = await PGlite.create({ dataDir: target, loadDataDir: new Blob([new Uint8Array(data)]) });
    const r = await pg.query<{ n: number }>('select count(*)::int as n from users');
    return { users: r.rows[0].n };
  } catch (err) {
    await pg?.close().catch(() => {});
    pg = undefined;
    fs.rmSync(target, { recursive: true, force: true });
    throw new BackupError(`restore: ${file} could not be loaded (${(err as Error).message})`);
  } finally {
    await pg?.close();
  }
}

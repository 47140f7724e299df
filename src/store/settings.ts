import pg from 'pg';
import type { Db, Tx } from '../db/knex.ts';
import { isServerDatabase } from './locks.ts';

/** The PostgreSQL channel a settings write notifies (delivered when its transaction commits). */
export const SETTINGS_CHANNEL = 'tobira_settings';

let generation = 0;
/**
 * A counter this process bumps on each settings write (and again when the write's transaction
 * ends), so caches in this process see their own writes at once.
 */
export function settingsGeneration(): number {
  return generation;
}

export async function readSettings(db: Tx): Promise<Record<string, unknown>> {
  const rows = await db('settings').select('key', 'value');
  const out: Record<string, unknown> = {};
  // Both drivers return jsonb parsed; a string here is a JSON string value, not JSON text.
  for (const r of rows) out[r.key] = r.value;
  return out;
}

export async function writeSetting(
  db: Tx,
  key: string,
  value: unknown,
  now: Date,
  by: string | null,
): Promise<void> {
  await db('settings')
    .insert({ key, value: JSON.stringify(value), version: 1, updated_at: now, updated_by: by })
    .onConflict('key')
    .merge({
      value: JSON.stringify(value),
      version: db.raw('settings.version + 1'),
      updated_at: now,
      updated_by: by,
    });
  generation++;
  const done = (db as { executionPromise?: Promise<unknown> }).executionPromise;
  if (done)
    done.then(
      () => generation++,
      () => generation++,
    );
  if (isServerDatabase(db as Db)) await db.raw('select pg_notify(?, ?)', [SETTINGS_CHANNEL, key]);
}

/**
 * Listens for settings writes from any process on a PostgreSQL server, on a connection of its own.
 * `onChange` runs on each notification and when the connection is lost (`lost`: the caller falls back
 * to polling until it listens again). Returns a function that stops listening.
 */
export async function watchSettings(
  databaseUrl: string,
  onChange: (event: 'changed' | 'lost') => void,
): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('notification', () => onChange('changed'));
  client.on('error', () => onChange('lost'));
  client.on('end', () => onChange('lost'));
  await client.connect();
  // The listener alone never keeps the process alive.
  (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
  await client.query(`listen ${SETTINGS_CHANNEL}`);
  return async () => {
    client.removeAllListeners('end');
    await client.end().catch(() => {});
  };
}

import type { Tx } from '../db/knex.ts';

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
}

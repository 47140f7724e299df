import crypto from 'node:crypto';
import type { Tx } from '../db/knex.ts';

/*
 * What a failed form post leaves for the page it redirects to (post/redirect/get): one row in
 * `challenges` under the flow it belongs to (a sign-in interaction, a reset session, a portal or
 * console session), kind `flash <path>`. Taking it deletes it, so the page shows it once.
 */

/** The challenge kind a flash for `path` is kept under. */
export const flashKind = (path: string) => `flash ${path}`;
const kindOf = flashKind;

export async function putFlash(
  db: Tx,
  flow: string,
  path: string,
  data: Record<string, unknown>,
  now: Date,
  ttlMs: number,
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('challenges')
      .where({ flow, kind: kindOf(path) })
      .delete();
    await trx('challenges').insert({
      id: crypto.randomUUID(),
      flow,
      user_id: null,
      kind: kindOf(path),
      code_hash: null,
      data: JSON.stringify(data),
      attempts: 0,
      created_at: now,
      expires_at: new Date(now.getTime() + ttlMs),
    });
  });
}

/** The flash left for this path in this flow, deleted as it is read (undefined when none is live). */
export async function takeFlash(
  db: Tx,
  flow: string,
  path: string,
  now: Date,
): Promise<Record<string, unknown> | undefined> {
  const rows: { data: unknown; expires_at: Date | string }[] = await db('challenges')
    .where({ flow, kind: kindOf(path) })
    .delete()
    .returning(['data', 'expires_at']);
  const live = rows.filter((r) => new Date(r.expires_at) > now).at(-1);
  if (!live) return undefined;
  return typeof live.data === 'string' ? JSON.parse(live.data) : (live.data as Record<string, unknown>);
}

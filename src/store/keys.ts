import { affected, type Tx } from '../db/knex.ts';

export interface KeyRow {
  kid: string;
  use: 'sig' | 'cookie';
  alg: string;
  materialEncrypted: string;
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

const fromRow = (r: any): KeyRow => ({
  kid: r.kid,
  use: r.use,
  alg: r.alg,
  materialEncrypted: r.material_encrypted,
  createdAt: new Date(r.created_at),
  retiredAt: r.retired_at ? new Date(r.retired_at) : null,
  expiresAt: r.expires_at ? new Date(r.expires_at) : null,
});

/** Keys still published (active, or retired but not yet expired), newest first. */
export async function listLiveKeys(db: Tx, now: Date): Promise<KeyRow[]> {
  const rows = await db('signing_keys')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now))
    .orderBy('created_at', 'desc')
    .orderBy('kid');
  return rows.map(fromRow);
}

export async function insertKeys(db: Tx, keys: Omit<KeyRow, 'retiredAt' | 'expiresAt'>[]): Promise<void> {
  await db('signing_keys').insert(
    keys.map((k) => ({
      kid: k.kid,
      use: k.use,
      alg: k.alg,
      material_encrypted: k.materialEncrypted,
      created_at: k.createdAt,
    })),
  );
}

/** Retires the currently active keys of the given use and algorithm; they stay published until expiresAt. */
export async function retireKeys(
  db: Tx,
  use: string,
  alg: string,
  now: Date,
  expiresAt: Date,
): Promise<void> {
  await db('signing_keys')
    .where({ use, alg })
    .whereNull('retired_at')
    .update({ retired_at: now, expires_at: expiresAt });
}

/** A cheap fingerprint of the key set, polled by every instance to notice a rotation elsewhere. */
export async function keysFingerprint(db: Tx): Promise<string> {
  const r = await db('signing_keys')
    .select(db.raw('count(*) as n'), db.raw('max(created_at) as c'), db.raw('max(retired_at) as r'))
    .first();
  return `${Number(r.n)}:${r.c ? new Date(r.c).getTime() : 0}:${r.r ? new Date(r.r).getTime() : 0}`;
}

export async function deleteExpiredKeys(db: Tx, now: Date): Promise<number> {
  return affected(await db('signing_keys').where('expires_at', '<', now).delete());
}

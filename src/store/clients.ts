import { affected, type Tx } from '../db/knex.ts';
import { DuplicateError } from './users.ts';

export interface ClientRow {
  clientId: string;
  metadata: Record<string, unknown>;
  secretEncrypted: string | null;
  firstParty: boolean;
  /** An administrator granted this client the `admin` scope (denied by default). */
  adminGranted: boolean;
  /** An administrator granted this first-party client the `scim` scope (denied by default). */
  scimGranted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const fromRow = (r: any): ClientRow => ({
  clientId: r.client_id,
  metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata,
  secretEncrypted: r.secret_encrypted,
  firstParty: r.first_party,
  adminGranted: !!r.admin_granted,
  scimGranted: !!r.scim_granted,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** A client as stored: its registration metadata and its secret sealed under SECRET_KEY. */
export interface NewClient {
  clientId: string;
  metadata: Record<string, unknown>;
  secretEncrypted: string | null;
  firstParty: boolean;
}

export async function insertClient(
  db: Tx,
  c: NewClient & { adminGranted?: boolean; scimGranted?: boolean },
  now: Date,
): Promise<void> {
  const rows = await db('clients')
    .insert({
      client_id: c.clientId,
      metadata: JSON.stringify(c.metadata),
      secret_encrypted: c.secretEncrypted,
      first_party: c.firstParty,
      admin_granted: !!c.adminGranted,
      scim_granted: !!c.scimGranted,
      created_at: now,
      updated_at: now,
    })
    .onConflict('client_id')
    .ignore()
    .returning('client_id');
  if (!rows.length) throw new DuplicateError(`client ${c.clientId} exists`);
}

export async function upsertClient(db: Tx, c: NewClient, now: Date): Promise<void> {
  await db('clients')
    .insert({
      client_id: c.clientId,
      metadata: JSON.stringify(c.metadata),
      secret_encrypted: c.secretEncrypted,
      first_party: c.firstParty,
      created_at: now,
      updated_at: now,
    })
    .onConflict('client_id')
    .merge(['metadata', 'secret_encrypted', 'first_party', 'updated_at']);
}

export async function findClient(db: Tx, clientId: string): Promise<ClientRow | undefined> {
  const r = await db('clients').where({ client_id: clientId }).first();
  return r ? fromRow(r) : undefined;
}

export async function listClients(db: Tx): Promise<ClientRow[]> {
  return (await db('clients').orderBy('client_id')).map(fromRow);
}

export async function deleteClient(db: Tx, clientId: string): Promise<boolean> {
  return affected(await db('clients').where({ client_id: clientId }).delete()) > 0;
}

/** Every client's metadata (for the CORS origins any client allows); bounded like the client cache. */
export async function listClientMetadata(db: Tx, limit = 10_000): Promise<Record<string, unknown>[]> {
  const rows = await db('clients').select('metadata').orderBy('client_id').limit(limit);
  return rows.map((r: any) => (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata));
}

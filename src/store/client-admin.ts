import { affected, type Tx } from '../db/knex.ts';

/** Changing a stored client in place (metadata, secret); creating and listing are in clients.ts. */
export async function updateClientRow(
  db: Tx,
  clientId: string,
  patch: {
    metadata?: Record<string, unknown>;
    secretEncrypted?: string | null;
    firstParty?: boolean;
    adminGranted?: boolean;
    scimGranted?: boolean;
  },
  now: Date,
): Promise<boolean> {
  const row: Record<string, unknown> = { updated_at: now };
  if (patch.metadata) row.metadata = JSON.stringify(patch.metadata);
  if (patch.secretEncrypted !== undefined) row.secret_encrypted = patch.secretEncrypted;
  if (patch.firstParty !== undefined) row.first_party = patch.firstParty;
  if (patch.adminGranted !== undefined) row.admin_granted = patch.adminGranted;
  if (patch.scimGranted !== undefined) row.scim_granted = patch.scimGranted;
  return affected(await db('clients').where({ client_id: clientId }).update(row)) > 0;
}

import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import type { SecretBox } from '../security/secrets.ts';
import { findInvitationByHash, type Invitation } from '../store/invitations.ts';

/*
 * An invitation link (issue 16) as the account sees it: only an HMAC of the link's secret is stored.
 * Administrators send and withdraw invitations (flows/admin/invitations.ts); the invitation flow
 * (flows/invite/) redeems them.
 */

export const inviteTokenHash = (box: SecretBox, token: string) => box.hmac('invitation', token);

/** The invitation a link names, if it can still be used (not used, withdrawn or expired). */
export async function usableInvitation(
  deps: { db: Db; box: SecretBox; clock: Clock },
  token: string,
): Promise<Invitation | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const inv = await findInvitationByHash(deps.db, inviteTokenHash(deps.box, token));
  if (!inv || inv.usedAt || inv.revokedAt || inv.expiresAt.getTime() <= deps.clock.now().getTime())
    return undefined;
  return inv;
}

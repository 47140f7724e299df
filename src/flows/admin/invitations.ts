import crypto from 'node:crypto';
import { inviteTokenHash } from '../../account/invitations.ts';
import type { Config } from '../../config.ts';
import { queueEmail } from '../../delivery/queue.ts';
import { formatDateTime, oneLine, timeZoneOf } from '../../delivery/templates.ts';
import { isLocale } from '../../i18n/index.ts';
import {
  type Invitation,
  insertInvitation,
  openInvitationOf,
  revokeOpenInvitations,
} from '../../store/invitations.ts';
import { lockUser, type User } from '../../store/users.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { type AdminDeps, readPolicy, resolveUser } from './service.ts';
import { audit } from './shared.ts';
import { FieldError } from './validation.ts';

/*
 * Invitations by email (issue 16): a single-use link, valid `invitationValidDays` (default 7), that
 * lets a user who never had a password set one and then register their security info. Sending again
 * withdraws the previous link; an administrator can withdraw it. Only an HMAC of the link's secret is
 * stored; the email goes through the notice queue (the development outbox without SMTP).
 */

const PURPOSE = 'invitation';
export const INVITE_PATH = '/invite?token=';

export interface InvitationView {
  createdAt: string;
  expiresAt: string;
}

const view = (i: Invitation): InvitationView => ({
  createdAt: i.createdAt.toISOString(),
  expiresAt: i.expiresAt.toISOString(),
});

function refuse(user: User): void {
  if (user.passwordManaged === 'external')
    throw new FieldError({ user: { key: 'admin.invite.external' } }, 409, 'invite.external');
  if (user.passwordHash)
    throw new FieldError({ user: { key: 'admin.invite.activated' } }, 409, 'invite.activated');
  if (!user.email) throw new FieldError({ email: { key: 'admin.invite.noEmail' } }, 409, 'invite.no_email');
}

/**
 * Sends (or sends again) an invitation to the user's profile email. The previous link stops working.
 * The link is returned only to the caller's process for the email; it is not part of the answer.
 */
export async function inviteUser(
  deps: AdminDeps & { config?: Config },
  actor: Actor,
  ref: string,
): Promise<{ invitation: InvitationView; resent: boolean }> {
  requirePermission(actor, 'users.write');
  const config = deps.config;
  if (!config) throw new Error('inviting needs the configuration (ISSUER)');
  const user = await resolveUser(deps.db, ref);
  refuse(user);
  const policy = await readPolicy(deps.db);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + policy.invitationValidDays * 86_400_000);
  const token = crypto.randomBytes(32).toString('base64url');
  const locale = isLocale(user.locale) ? user.locale : config.defaultLocale;
  const result = await deps.db.transaction(async (trx) => {
    await lockUser(trx, user.id);
    const withdrawn = await revokeOpenInvitations(trx, user.id, now);
    const inv = await insertInvitation(
      trx,
      { userId: user.id, tokenHash: inviteTokenHash(deps.box, token), createdBy: actor.id, expiresAt },
      now,
    );
    await audit(trx, deps, actor, 'admin.user.invite', user.id, {
      expiresAt: expiresAt.toISOString(),
      resent: withdrawn > 0,
    });
    // Queued in the same transaction: the email exists exactly when the invitation does.
    await queueEmail(
      { db: trx, box: deps.box, clock: deps.clock },
      {
        to: user.email!,
        locale,
        template: 'invitation',
        purpose: PURPOSE,
        data: {
          subjectKey: 'invite.email.subject',
          name: oneLine(user.displayName || user.login, 100),
          login: oneLine(user.login, 100),
          expires: formatDateTime(expiresAt, locale, timeZoneOf(config.organizationCountry)),
          link: `${config.issuer}${INVITE_PATH}${token}`,
        },
      },
      user.id,
    );
    return { invitation: view(inv), resent: withdrawn > 0 };
  });
  return result;
}

/** Withdraws the user's open invitation: its link stops working at once. */
export async function revokeInvitation(deps: AdminDeps, actor: Actor, ref: string): Promise<void> {
  requirePermission(actor, 'users.write');
  const user = await resolveUser(deps.db, ref);
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const n = await revokeOpenInvitations(trx, user.id, now);
    if (!n) throw new FieldError({ user: { key: 'admin.invite.none' } }, 409, 'invite.none');
    await audit(trx, deps, actor, 'admin.user.invite_revoke', user.id);
  });
}

export async function getInvitation(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ invitation: InvitationView | null }> {
  requirePermission(actor, 'users.read');
  const user = await resolveUser(deps.db, ref);
  const inv = await openInvitationOf(deps.db, user.id, deps.clock.now());
  return { invitation: inv ? view(inv) : null };
}

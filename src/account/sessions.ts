import type { Clock } from '../clock.ts';
import type { Db, Tx } from '../db/knex.ts';
import type { BackchannelDelivery, Logout } from '../oidc/backchannel.ts';
import { enqueueLogouts } from '../store/backchannel-queue.ts';
import { destroyByAccountId, destroyGrant, destroyPayload, listProviderSessions } from '../store/oidc.ts';
import { deleteSession, deleteSessionsOfUser } from '../store/sessions.ts';

/**
 * Ending sessions, in one place for every event that must end them: a self-service reset, an
 * administrator's reset, a disable, a password change, a sign-out. It covers the first-party apps'
 * sessions (portal, console, demo), the provider's single sign-on sessions, and every grant with its
 * codes, access and refresh tokens; each relying party signed in through an ended provider session
 * gets a back-channel logout token.
 */

export interface SessionDeps {
  db: Db;
  backchannel: BackchannelDelivery;
}

export interface Revocation {
  /** Rows removed (first-party sessions, provider sessions, grants, tokens). */
  revoked: number;
  /** Logout tokens to send once the change is committed. */
  logouts: Logout[];
}

function logoutsOf(accountId: string, authorizations: Record<string, { sid?: string }>): Logout[] {
  return Object.entries(authorizations).map(([clientId, a]) => ({ clientId, sub: accountId, sid: a.sid }));
}

/**
 * Revokes everything of a user inside the caller's transaction. `keepFirstParty` keeps one
 * first-party session (the portal session in which the user changed their own password).
 * Call {@link announce} after the transaction commits.
 */
export async function revokeEverything(
  db: Tx,
  userId: string,
  opts: { keepFirstParty?: string } = {},
): Promise<Revocation> {
  const sessions = await listProviderSessions(db, userId);
  const logouts = sessions.flatMap((s) => logoutsOf(userId, s.authorizations));
  const firstParty = await deleteSessionsOfUser(db, userId, opts.keepFirstParty);
  const provider = await destroyByAccountId(db, userId);
  return { revoked: firstParty + provider, logouts };
}

/**
 * Sends the logout tokens of a committed revocation in the background; without a sender in this
 * process (the CLI running alone against the database) queues them, due now, for a running server.
 */
export async function announce(
  deps: SessionDeps | { db: Db; clock: Clock; backchannel?: BackchannelDelivery },
  r: Revocation,
): Promise<void> {
  if (deps.backchannel) {
    for (const l of r.logouts) deps.backchannel.send(l);
    return;
  }
  if (!('clock' in deps)) return;
  const now = deps.clock.now();
  await enqueueLogouts(deps.db, r.logouts, { attempt: 1, dueAt: now, now });
}

/** {@link revokeEverything} in its own transaction, then {@link announce}. Returns the rows removed. */
export async function endEverything(
  deps: SessionDeps,
  userId: string,
  opts: { keepFirstParty?: string } = {},
): Promise<number> {
  const r = await deps.db.transaction((trx) => revokeEverything(trx, userId, opts));
  await announce(deps, r);
  return r.revoked;
}

/**
 * Signing out of a first-party app: its session row, and the provider session it was signed in
 * through (found by the sid of the app's ID token), with that session's grants, unless a grant was
 * meant to outlive logout (offline access); every app of that provider session gets a logout token.
 * Returns those apps with their sids (front-channel logout frames them in the browser).
 */
export async function endSignOut(
  deps: SessionDeps,
  s: { idHash: string; userId: string; clientId: string; sid: string | null },
): Promise<Logout[]> {
  const r = await deps.db.transaction(async (trx) => {
    await deleteSession(trx, s.idHash);
    const out: Revocation = { revoked: 1, logouts: [] };
    if (!s.sid) return out;
    const session = (await listProviderSessions(trx, s.userId)).find(
      (p) => p.authorizations[s.clientId]?.sid === s.sid,
    );
    if (!session) return out;
    out.logouts = logoutsOf(s.userId, session.authorizations);
    for (const a of Object.values(session.authorizations)) {
      if (a.grantId && !a.persistsLogout) out.revoked += await destroyGrant(trx, a.grantId);
    }
    await destroyPayload(trx, 'Session', session.id);
    return out;
  });
  await announce(deps, r);
  // The apps of the ended session, for front-channel logout in the browser.
  return r.logouts;
}

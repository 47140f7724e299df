import type { Db } from '../../db/knex.ts';
import { createChallenge, deleteFlowChallenges, findLiveChallenge } from '../../store/challenges.ts';

import type { SignInState } from './machine.ts';

export type { SignInState } from './machine.ts';

const KIND = 'signin.state';
const TTL_MS = 30 * 60_000;
export const signInFlow = (uid: string) => `signin:${uid}`;
/** A method kind as it may appear in a sign-in address. */
export const METHOD_KIND = /^[A-Za-z]{2,20}$/;

export async function loadSignInState(db: Db, uid: string, now: Date): Promise<SignInState | undefined> {
  const c = await findLiveChallenge(db, signInFlow(uid), KIND, now);
  return c ? (c.data as unknown as SignInState) : undefined;
}

export async function saveSignInState(db: Db, uid: string, state: SignInState, now: Date): Promise<void> {
  await db.transaction(async (trx) => {
    await deleteFlowChallenges(trx, signInFlow(uid), KIND);
    await createChallenge(
      trx,
      {
        flow: signInFlow(uid),
        userId: state.userId,
        kind: KIND,
        data: state as unknown as Record<string, unknown>,
      },
      now,
      TTL_MS,
    );
  });
}

/** Drops everything the interaction kept (state, codes, WebAuthn challenges). */
export async function clearSignIn(db: Db, uid: string): Promise<void> {
  await deleteFlowChallenges(db, signInFlow(uid));
}

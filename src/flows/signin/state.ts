import type { Db } from '../../db/knex.ts';
import {
  createChallenge,
  deleteFlowChallenges,
  findLiveChallenge,
  findLiveChallenges,
  flowChallengesAlong,
} from '../../store/challenges.ts';
import { flashKind } from '../../store/flash.ts';
import type { RideAlong } from '../../store/together.ts';

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

/**
 * A sign-in page's view of its flow in one read: the sign-in state, and whether a failed post left
 * this page (`path`) something to show (then the flash is taken as it always is).
 */
export async function loadSignInPage(
  db: Db,
  uid: string,
  path: string,
  now: Date,
): Promise<{ state: SignInState | undefined; flashWaiting: boolean }> {
  const rows = await findLiveChallenges(db, signInFlow(uid), [KIND, flashKind(path)], now);
  const state = rows.find((r) => r.kind === KIND);
  return {
    state: state ? (state.data as unknown as SignInState) : undefined,
    flashWaiting: rows.some((r) => r.kind !== KIND),
  };
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

/** clearSignIn() as a write that rides along with the statement deciding a step (store/together.ts). */
export function clearSignInAlong(uid: string): RideAlong {
  return flowChallengesAlong(signInFlow(uid));
}

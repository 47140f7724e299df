import type { Db } from '../../db/knex.ts';
import {
  type Challenge,
  createChallenge,
  deleteFlowChallenges,
  findLiveChallenge,
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

/** The rows a sign-in page at `path` reads at `now`: its flow's state and what a failed post left for it. */
export const signInPageReads = (uid: string, path: string, now: Date) => ({
  flow: signInFlow(uid),
  kinds: [KIND, flashKind(path)] as const,
  now,
});

/** The page's view of the rows signInPageReads names (read on their own or with the interaction). */
export function signInPageOf(rows: Challenge[]): { state: SignInState | undefined; flashWaiting: boolean } {
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

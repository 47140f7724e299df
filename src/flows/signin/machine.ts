import type { SecondStep } from '../../policy/sspr.ts';

/**
 * The sign-in's states between the password and the end of the interaction, pure: no I/O, no Koa.
 * The routes load the state, translate the request into an event (`apply`), gather the facts about
 * the user and ask `decide` where the sign-in goes next, then store the stage or finish.
 *
 *   password / passkey ─▶ decide ─▶ mfa ─secondFactor─▶ decide
 *                                 ─▶ register ─registered / skipped─▶ decide
 *                                 ─▶ change-password ─passwordChanged─▶ decide
 *                                 ─▶ reconfirm ─reconfirmed─▶ decide
 *                                 ─▶ done (the provider's login) | refused (no usable second factor)
 */

export type SignInStage = 'mfa' | 'change-password' | 'register' | 'reconfirm';

/** Where a sign-in stands between the password and the end of the interaction. */
export interface SignInState {
  userId: string;
  amr: string[];
  stage: SignInStage;
  /** The user already saw (and left) the registration wizard in this sign-in. */
  registrationOffered?: boolean;
}

export type SignInEvent =
  /** The password was right: a new sign-in of this user. */
  | { type: 'password'; userId: string }
  /** A passkey signed in (it is a second factor by itself). */
  | { type: 'passkey'; userId: string; amr: string[] }
  /** A second factor verified at the `mfa` stage. */
  | { type: 'secondFactor'; amr: string[] }
  /** At the `mfa` stage, the user has no method left to challenge: registration instead. */
  | { type: 'noSecondFactor' }
  /** The wizard registered a method, or the user skipped it. */
  | { type: 'registered' }
  | { type: 'registrationSkipped' }
  /** The temporary password was replaced. */
  | { type: 'passwordChanged' }
  /** The user confirmed their security info. */
  | { type: 'reconfirmed' };

/** The stage an event belongs to (undefined: it starts a sign-in). */
const STAGE_OF: Record<SignInEvent['type'], SignInStage | undefined> = {
  password: undefined,
  passkey: undefined,
  secondFactor: 'mfa',
  noSecondFactor: 'mfa',
  registered: 'register',
  registrationSkipped: 'register',
  passwordChanged: 'change-password',
  reconfirmed: 'reconfirm',
};

/** Whether the sign-in in `state` takes this event now (a request for another step is refused). */
export function accepts(state: SignInState | undefined, type: SignInEvent['type']): boolean {
  const stage = STAGE_OF[type];
  return stage === undefined || state?.stage === stage;
}

/** The state after an event, or undefined when the sign-in is not at the event's stage. */
export function apply(state: SignInState | undefined, event: SignInEvent): SignInState | undefined {
  if (!accepts(state, event.type)) return undefined;
  switch (event.type) {
    case 'password':
      return { userId: event.userId, amr: ['pwd'], stage: 'mfa' };
    case 'passkey':
      return { userId: event.userId, amr: [...event.amr, 'mfa'], stage: 'mfa' };
    case 'secondFactor':
      return { ...state!, amr: [...state!.amr, ...event.amr, 'mfa'] };
    case 'noSecondFactor':
      return { ...state!, stage: 'register' };
    case 'registered':
    case 'registrationSkipped':
      return { ...state!, registrationOffered: true };
    case 'passwordChanged':
    case 'reconfirmed':
      return { ...state! };
  }
}

/** What the next stage depends on, gathered by the routes for the signed-in user. */
export interface SignInFacts {
  /** What the policy asks after the password (policy/sspr.ts secondStep). */
  secondStep: SecondStep;
  /** A temporary password set by an administrator must be replaced first. */
  mustChangePassword: boolean;
  /** The user has too few reset gates and the policy requires registration. */
  needsRegistration: boolean;
  /** The user has security info older than the reconfirmation period. */
  needsReconfirm: boolean;
}

export type SignInDecision =
  | { type: 'stage'; state: SignInState }
  | { type: 'done'; amr: string[] }
  | { type: 'refused'; reason: 'second_factor_unavailable' };

/** Where the sign-in goes next, in SSPR.md's order: second factor, new password, registration, reconfirmation. */
export function decide(state: SignInState, facts: SignInFacts): SignInDecision {
  const at = (stage: SignInStage): SignInDecision => ({ type: 'stage', state: { ...state, stage } });
  // Registering a method during this sign-in is not a second factor, and asking for one right after
  // would prove nothing the password did not: the sign-in completes with what was verified.
  if (!state.amr.includes('mfa') && !state.registrationOffered) {
    if (facts.secondStep === 'unavailable') return { type: 'refused', reason: 'second_factor_unavailable' };
    if (facts.secondStep === 'challenge') return at('mfa');
    if (facts.secondStep === 'register') return at('register');
  }
  if (facts.mustChangePassword) return at('change-password');
  if (!state.registrationOffered && facts.needsRegistration) return at('register');
  if (state.stage !== 'reconfirm' && facts.needsReconfirm) return at('reconfirm');
  return { type: 'done', amr: [...new Set(state.amr)] };
}

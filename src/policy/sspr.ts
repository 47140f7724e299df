import type { MethodKind, Policy } from './settings.ts';

/** Pure rules of SSPR.md §2 and §4 that sign-in, the portal and the reset flow share. */

export interface Subject {
  roles: readonly string[];
  groups: readonly string[];
}

export const isAdmin = (s: { roles: readonly string[] }) => s.roles.includes('admin');

/** Administrators always need two gates, whatever the policy says. */
export function gatesRequired(policy: Policy, s: Subject): 1 | 2 {
  return isAdmin(s) ? 2 : policy.resetGatesRequired;
}

export function inResetScope(policy: Policy, s: Subject): boolean {
  if (policy.resetScope === 'none') return false;
  if (policy.resetScope === 'all') return true;
  return s.groups.some((g) => policy.resetGroups.includes(g));
}

/**
 * The built-in methods' gates, for callers without a method registry (the pure unit tests): the app
 * and every flow pass `MethodRegistry.gateOf`, which takes a method's gate from its credential kind.
 */
const builtinGateOf = (kind: string) => (kind === 'sms' || kind === 'voice' ? 'phone' : kind);

/** Whether the policy offers the method `kind` for reset. */
export function offeredForReset(policy: Policy, kind: string): boolean {
  return policy.resetMethods.includes(kind as MethodKind);
}

/**
 * The distinct gates a user could pass at reset with what they registered: methods the policy
 * offers; a text and a call to the same phones count as one; questions never count for admins.
 */
export function resetGatesAvailable(
  policy: Policy,
  s: Subject,
  registeredKinds: readonly string[],
  gateOf: (kind: string) => string = builtinGateOf,
): string[] {
  const gates = new Set<string>();
  for (const kind of registeredKinds) {
    if (!offeredForReset(policy, kind)) continue;
    if (kind === 'questions' && isAdmin(s)) continue;
    gates.add(gateOf(kind));
  }
  return [...gates];
}

/** "More information required": registration is on, the user may reset, and has too few gates. */
export function needsRegistration(
  policy: Policy,
  s: Subject,
  registeredKinds: readonly string[],
  gateOf: (kind: string) => string = builtinGateOf,
): boolean {
  if (!policy.registrationRequired || !inResetScope(policy, s)) return false;
  return resetGatesAvailable(policy, s, registeredKinds, gateOf).length < gatesRequired(policy, s);
}

/** Security info older than the reconfirmation period (0 = never ask). */
export function needsReconfirm(policy: Policy, confirmedAt: Date | null, now: Date): boolean {
  if (policy.reconfirmDays === 0 || !confirmedAt) return false;
  return now.getTime() - confirmedAt.getTime() > policy.reconfirmDays * 86_400_000;
}

export type SecondStep = 'none' | 'challenge' | 'register' | 'unavailable';

/**
 * After the password: ask for a second factor when the policy or the app (acr_values) wants one.
 * Without a usable method, `required` and an app's demand send the user to register one.
 * A user whose only second factors are switched off is refused (`unavailable`), never downgraded.
 */
export function secondStep(
  policy: Policy,
  signInKinds: readonly string[],
  mfaRequested: boolean,
  unavailableKinds: readonly string[] = [],
): SecondStep {
  const has = signInKinds.length > 0;
  // The user's second factors exist but their channel is switched off (no sender configured): the
  // sign-in must not fall back to the password alone, nor let the password enrol a new factor.
  if (!has && unavailableKinds.length > 0 && (mfaRequested || policy.mfa !== 'off')) return 'unavailable';
  if (mfaRequested || policy.mfa === 'required') return has ? 'challenge' : 'register';
  if (policy.mfa === 'whenRegistered' && has) return 'challenge';
  return 'none';
}

import type { Policy } from './settings.ts';

/**
 * The credentials that count under the policy: a method an administrator pre-registered counts at
 * once ('immediately'), or only once the user confirmed it ('afterConfirmation'). What the user
 * registered always counts.
 */
export function countedCredentials<T extends { source?: string; confirmedAt: Date | null }>(
  policy: Pick<Policy, 'preRegisteredMethods'>,
  creds: readonly T[],
): T[] {
  if (policy.preRegisteredMethods === 'immediately') return [...creds];
  return creds.filter((c) => c.source !== 'organization' || c.confirmedAt !== null);
}

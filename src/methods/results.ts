import type { MessageKey } from '../i18n/index.ts';

/** A refusal a method returns: the message to show and its parameters. */
export type Fail = { ok: false; error: MessageKey; params?: Record<string, string | number> };

/** A refusal with its message; `params` is present only when there are some. */
export const fail = (error: MessageKey, params?: Record<string, string | number>): Fail =>
  params ? { ok: false, error, params } : { ok: false, error };

/**
 * The keys of a method's own messages (`VerificationMethod.messages`), typed to be used wherever a
 * catalogue key is (`fail`, `stepTo`): `const m = ownMessages(en); fail(m['token.wrong'])`.
 */
export function ownMessages<const K extends string>(en: Record<K, string>): { [P in K]: MessageKey } {
  return Object.fromEntries(Object.keys(en).map((k) => [k, k])) as { [P in K]: MessageKey };
}

/** The enrolment's next step: a code was sent (a notice, not a failure). */
export const stepTo = (notice: MessageKey, params?: Record<string, string | number>) => ({
  ok: false as const,
  error: notice,
  params,
  step: true as const,
});

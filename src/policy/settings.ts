import { z } from 'zod';

export const METHOD_KINDS = ['app', 'sms', 'voice', 'email', 'securityKey', 'questions'] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

/**
 * Every administrator setting of SSPR.md §2 with its default. Stored one row per key in `settings`;
 * read per use so that a change takes effect at once on every instance.
 */
export const policySchema = z
  .object({
    organizationName: z.string().trim().min(1).max(100).default('Tobira'),
    resetScope: z.enum(['none', 'selected', 'all']).default('all'),
    resetGroups: z.array(z.string().min(1).max(100)).max(100).default([]),
    resetMethods: z
      .array(z.enum(METHOD_KINDS))
      .min(1)
      .default(['app', 'sms', 'voice', 'email', 'securityKey']),
    resetGatesRequired: z.union([z.literal(1), z.literal(2)]).default(1),
    registrationRequired: z.boolean().default(true),
    reconfirmDays: z.number().int().min(0).max(730).default(180),
    notifyUserOnReset: z.boolean().default(true),
    notifyAdminsOnAdminReset: z.boolean().default(true),
    helpdeskContact: z
      .union([z.literal('default'), z.url({ protocol: /^https?$/ }), z.email()])
      .default('default'),
    allowUnlockWithoutReset: z.boolean().default(false),
    foldEligibilityMessages: z.boolean().default(false),
    mfa: z.enum(['off', 'whenRegistered', 'required']).default('whenRegistered'),
    passwordMinLength: z.number().int().min(8).max(256).default(8),
    passwordHistory: z.number().int().min(0).max(24).default(5),
    bannedPasswords: z.array(z.string().min(3).max(100)).max(1000).default([]),
    allowedPhoneCountries: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
    // -- phone and email delivery settings --
    // -- end phone and email delivery settings --
    // -- security questions settings --
    // -- end security questions settings --
    // -- administration settings --
    // -- end administration settings --
  })
  .strict();

export type Policy = z.infer<typeof policySchema>;
export type PolicyKey = keyof Policy;
export const POLICY_KEYS = Object.keys(policySchema.shape) as PolicyKey[];

export function defaultPolicy(): Policy {
  return policySchema.parse({});
}

/** Builds the effective policy from stored rows; unknown or invalid stored keys fall back to defaults. */
export function policyFromSettings(stored: Record<string, unknown>): Policy {
  const p = defaultPolicy() as Record<string, unknown>;
  for (const key of POLICY_KEYS) {
    if (!(key in stored)) continue;
    const r = (policySchema.shape as any)[key].safeParse(stored[key]);
    if (r.success) p[key] = r.data;
  }
  return p as Policy;
}

/** Parses a CLI value: JSON when it parses as JSON, otherwise the raw string. */
export function parseCliValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export type PolicyCheck = { ok: true; value: unknown } | { ok: false; message: string };

export function validatePolicyValue(key: string, value: unknown): PolicyCheck {
  if (!(POLICY_KEYS as string[]).includes(key)) {
    return { ok: false, message: `unknown policy key "${key}"; known keys: ${POLICY_KEYS.join(', ')}` };
  }
  const r = (policySchema.shape as any)[key].safeParse(value);
  if (!r.success)
    return { ok: false, message: `${key}: ${r.error.issues.map((i: any) => i.message).join('; ')}` };
  return { ok: true, value: r.data };
}

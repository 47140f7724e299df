import { z } from 'zod';
import { isQuestionId, QUESTION_IDS } from './questions.ts';

export const METHOD_KINDS = ['app', 'sms', 'voice', 'email', 'securityKey', 'questions'] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

/**
 * Every administrator setting of SSPR.md §2 with its default. Stored one row per key in `settings`;
 * read per use so that a change takes effect at once on every instance.
 */
/** How many security questions a step takes: 3 to 5 (default 3); `why` ends the range's messages. */
function questionCount(why: string) {
  return z
    .number({ error: 'must be a whole number from 3 to 5' })
    .int({ error: 'must be a whole number from 3 to 5' })
    .min(3, { error: `must be at least 3: ${why}` })
    .max(5, { error: `must be at most 5: ${why}` })
    .default(3);
}

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
    // Texts and calls, all users together, per hour; past it, phone channels pause and administrators are alerted.
    phoneHourlyBudget: z.number().int().min(0).max(1_000_000).default(100),
    phoneSendsPerNumberPerHour: z.number().int().min(1).max(100).default(5),
    phoneSendsPerAccountPerHour: z.number().int().min(1).max(1000).default(10),
    phoneSendsPerIpPerHour: z.number().int().min(1).max(100_000).default(10),
    emailSendsPerAddressPer10Minutes: z.number().int().min(1).max(100).default(10),
    emailSendsPerAccountPerHour: z.number().int().min(1).max(1000).default(20),
    emailSendsPerIpPerHour: z.number().int().min(1).max(100_000).default(30),
    // -- end phone and email delivery settings --
    // -- security questions settings --
    /** Predefined questions users may choose from (ids of src/policy/questions.ts). */
    questionsOffered: z
      .array(z.string({ error: 'each entry must be a question id string' }), {
        error: 'must be a JSON array of question ids, e.g. ["q.first_concert","q.childhood_hero"]',
      })
      .superRefine((ids, ctx) => {
        const seen = new Set<string>();
        for (const id of ids) {
          if (!isQuestionId(id)) {
            ctx.addIssue({
              code: 'custom',
              message: `unknown predefined question id "${id}"; known ids: ${QUESTION_IDS.join(', ')}`,
            });
          } else if (seen.has(id)) {
            ctx.addIssue({ code: 'custom', message: `question id "${id}" is listed twice` });
          }
          seen.add(id);
        }
      })
      .default([...QUESTION_IDS]),
    /** The organization's own questions, in one language (not localized). */
    questionsCustom: z
      .array(z.string({ error: 'each custom question must be a string' }), {
        error: 'must be a JSON array of strings, e.g. ["In which town was your first office?"]',
      })
      .transform((list) => list.map((q) => q.normalize('NFC').trim()))
      .superRefine((list, ctx) => {
        if (list.length > CUSTOM_QUESTIONS_MAX) {
          ctx.addIssue({
            code: 'custom',
            message: `at most ${CUSTOM_QUESTIONS_MAX} custom questions are allowed (got ${list.length})`,
          });
        }
        const seen = new Map<string, number>();
        list.forEach((q, i) => {
          const len = [...q].length;
          if (len < CUSTOM_QUESTION_MIN || len > CUSTOM_QUESTION_MAX) {
            ctx.addIssue({
              code: 'custom',
              message: `custom question ${i + 1} has ${len} characters; each must have ${CUSTOM_QUESTION_MIN} to ${CUSTOM_QUESTION_MAX} (after trimming spaces)`,
            });
          }
          if (/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(q)) {
            ctx.addIssue({
              code: 'custom',
              message: `custom question ${i + 1} contains a line break or control character; each must be one line of text`,
            });
          }
          // Questions differing only in case, width or spacing would look the same to users.
          const folded = q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
          const first = seen.get(folded);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              message: `custom question ${i + 1} repeats custom question ${first + 1}; each must be different`,
            });
          } else seen.set(folded, i);
        });
      })
      .default([]),
    questionsRequiredToRegister: questionCount('users register 3 to 5 questions'),
    questionsRequiredToReset: questionCount('a reset asks 3 to 5 questions'),
    // -- end security questions settings --
    // -- administration settings --
    // Branding: an absolute http(s) address of the organization's logo ('' = none) and the accent colour.
    logoUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]).default(''),
    accentColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/)
      .default('#2b5fd9'),
    // Audit events older than this are deleted by the background sweep (0 = keep forever).
    auditRetentionDays: z.number().int().min(0).max(3650).default(365),
    // -- end administration settings --
    // -- relying-party settings (published in discovery; '' = not published) --
    serviceDocumentationUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]).default(''),
    opPolicyUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]).default(''),
    opTosUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/ }).max(2000)]).default(''),
    // -- end relying-party settings --
    // -- onboarding settings --
    // Contact methods an administrator pre-registered count for reset at once ('immediately'), or only
    // after the user confirmed them once in the portal or used one successfully ('afterConfirmation').
    preRegisteredMethods: z.enum(['immediately', 'afterConfirmation']).default('immediately'),
    // How long an invitation link stays valid, in days.
    invitationValidDays: z.number().int().min(1).max(90).default(7),
    // -- end onboarding settings --
    // -- SCIM settings --
    // SCIM provisioning maps phoneNumbers (mobile/work) and emails of type "other" to the contact
    // methods pre-registered for the user (true), or ignores them (false).
    scimContactMethods: z.boolean().default(true),
    // -- end SCIM settings --
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

// -- security questions: rules across settings --
const CUSTOM_QUESTIONS_MAX = 20;
const CUSTOM_QUESTION_MIN = 3;
const CUSTOM_QUESTION_MAX = 200;
const QUESTION_SETTINGS: readonly string[] = [
  'questionsOffered',
  'questionsCustom',
  'questionsRequiredToRegister',
  'questionsRequiredToReset',
];

/**
 * The security-question rules that join two settings (SSPR.md §1), for a change to `key` given the
 * settings as they would be after it: a reset never asks more questions than users register, and
 * registration has enough questions to choose from. A change to any other key is not checked here, so
 * it is never refused because of these. Returns a message naming the rule, or undefined.
 */
export function questionSettingsProblem(key: string, settings: Record<string, unknown>): string | undefined {
  if (!QUESTION_SETTINGS.includes(key)) return undefined;
  const p = policyFromSettings(settings);
  const register = p.questionsRequiredToRegister;
  const reset = p.questionsRequiredToReset;
  if (reset > register) {
    return `questionsRequiredToReset (${reset}) must not be more than questionsRequiredToRegister (${register}): a reset cannot ask more questions than users register`;
  }
  const offered = p.questionsOffered.length + p.questionsCustom.length;
  if (offered < register) {
    return `only ${offered} questions would be offered (questionsOffered + questionsCustom), fewer than questionsRequiredToRegister (${register}): offer at least ${register}`;
  }
  return undefined;
}

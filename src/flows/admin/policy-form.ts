import type { z } from 'zod';
import { isMessageKey, type MessageKey, type Translate } from '../../i18n/index.ts';
import { QUESTION_IDS, questionKey } from '../../methods/questions/catalogue.ts';
import { POLICY_KEYS, type Policy, policySchema } from '../../policy/settings.ts';

/**
 * The policy editor's fields, derived from the policy schema itself, so a setting added to
 * src/policy/settings.ts shows up in the console without changes here (labelled by its key until it
 * gets a message under `admin.policy.<key>`).
 */

export type FieldKind = 'boolean' | 'number' | 'select' | 'multi' | 'list' | 'text';

export interface PolicyField {
  key: string;
  kind: FieldKind;
  section: string;
  options?: Array<string | number>;
  min?: number;
  max?: number;
}

const SECTIONS: Record<string, string[]> = {
  branding: ['organizationName', 'logoUrl', 'accentColor'],
  reset: [
    'resetScope',
    'resetGroups',
    'resetMethods',
    'resetGatesRequired',
    'allowUnlockWithoutReset',
    'foldEligibilityMessages',
  ],
  registration: ['registrationRequired', 'reconfirmDays'],
  questions: [
    'questionsOffered',
    'questionsCustom',
    'questionsRequiredToRegister',
    'questionsRequiredToReset',
  ],
  signin: ['mfa'],
  password: ['passwordMinLength', 'passwordHistory', 'bannedPasswords'],
  notifications: ['notifyUserOnReset', 'notifyAdminsOnAdminReset', 'helpdeskContact'],
  delivery: ['allowedPhoneCountries'],
  audit: ['auditRetentionDays'],
};
export const SECTION_ORDER = [
  'branding',
  'reset',
  'registration',
  'questions',
  'signin',
  'password',
  'notifications',
  'delivery',
  'audit',
  'other',
];

function sectionOf(key: string): string {
  for (const [s, keys] of Object.entries(SECTIONS)) if (keys.includes(key)) return s;
  if (/^(phone|email)/.test(key)) return 'delivery';
  if (/^questions/.test(key)) return 'questions';
  return 'other';
}

type AnySchema = z.ZodType & { def: Record<string, any> } & Record<string, any>;

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 5; i++) {
    const t = cur.def.type;
    if (t === 'default' || t === 'optional' || t === 'nullable' || t === 'prefault') cur = cur.def.innerType;
    else if (t === 'pipe') cur = cur.def.in;
    else break;
  }
  return cur;
}

function describe(key: string, schema: AnySchema): PolicyField {
  const s = unwrap(schema);
  const section = sectionOf(key);
  switch (s.def.type) {
    case 'boolean':
      return { key, kind: 'boolean', section };
    case 'number':
      return { key, kind: 'number', section, min: s.minValue ?? undefined, max: s.maxValue ?? undefined };
    case 'enum':
      return { key, kind: 'select', section, options: [...s.options] };
    case 'union': {
      const opts = s.def.options as AnySchema[];
      if (opts.every((o) => o.def.type === 'literal')) {
        return { key, kind: 'select', section, options: opts.flatMap((o) => [...o.def.values]) };
      }
      return { key, kind: 'text', section };
    }
    case 'array': {
      const el = unwrap(s.def.element);
      if (el.def.type === 'enum') return { key, kind: 'multi', section, options: [...el.options] };
      if (key === 'questionsOffered') return { key, kind: 'multi', section, options: [...QUESTION_IDS] };
      return { key, kind: 'list', section };
    }
    default:
      return { key, kind: 'text', section };
  }
}

/** Every setting as a form field; `groups` are the names offered for the reset scope's groups. */
export function policyFields(groups: string[], current: Policy): PolicyField[] {
  const shape = policySchema.shape as unknown as Record<string, AnySchema>;
  return POLICY_KEYS.map((key) => {
    const f = describe(key, shape[key]);
    if (key === 'resetGroups') {
      return {
        ...f,
        kind: 'multi' as const,
        options: [...new Set([...groups, ...current.resetGroups])].sort(),
      };
    }
    return f;
  });
}

/** Turns the posted form into setting values for the service to validate (it reports bad ones per field). */
export function formToPolicy(fields: PolicyField[], form: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = form[f.key];
    switch (f.kind) {
      case 'boolean':
        out[f.key] = raw === 'true';
        break;
      case 'number':
        out[f.key] = raw !== undefined && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : (raw ?? '');
        break;
      case 'select': {
        const opt = f.options?.find((o) => String(o) === raw);
        out[f.key] = opt ?? raw ?? '';
        break;
      }
      case 'multi':
        out[f.key] = (f.options ?? []).filter((o) => form[`${f.key}.${o}`] === 'on');
        break;
      case 'list':
        out[f.key] = (raw ?? '')
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter(Boolean);
        break;
      default:
        out[f.key] = (raw ?? '').trim();
    }
  }
  return out;
}

/** The value a field shows: what was posted when re-rendering after an error, else the policy's. */
export function fieldValue(f: PolicyField, value: unknown): string | string[] | boolean {
  if (f.kind === 'boolean') return value === true;
  if (f.kind === 'multi') return Array.isArray(value) ? value.map(String) : [];
  if (f.kind === 'list') return Array.isArray(value) ? value.map(String).join('\n') : String(value ?? '');
  return String(value ?? '');
}

function key(k: string): MessageKey | undefined {
  return isMessageKey(k) ? k : undefined;
}

export function fieldLabel(t: Translate, f: PolicyField): string {
  const k = key(`admin.policy.${f.key}`);
  return k ? t(k) : f.key;
}

export function fieldHint(t: Translate, f: PolicyField): string | undefined {
  const k = key(`admin.policy.${f.key}.hint`);
  if (k) return t(k);
  if (f.kind === 'list') return t('admin.policy.listHint');
  return undefined;
}

export function optionLabel(t: Translate, f: PolicyField, option: string | number): string {
  const o = String(option);
  const own = key(`admin.policy.${f.key}.${o}`);
  if (own) return t(own);
  if (f.key === 'resetMethods') {
    const m = key(`method.${o}`);
    if (m) return t(m);
  }
  if (f.key === 'questionsOffered' && (QUESTION_IDS as readonly string[]).includes(o)) {
    return t(questionKey(o as (typeof QUESTION_IDS)[number]));
  }
  return o;
}

export function sectionLabel(t: Translate, section: string): string {
  const k = key(`admin.policy.section.${section}`);
  return k ? t(k) : section;
}

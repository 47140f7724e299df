import type { z } from 'zod';
import { AppError } from '../../http/errors.ts';
import { isMessageKey, type MessageKey, type Params, type Translate } from '../../i18n/index.ts';

/** A message for one field, translated when it is shown (API: the request's language; console: the page's). */
export interface FieldMessage {
  key: MessageKey;
  params?: Params;
}

export type FieldMessages = Record<string, FieldMessage>;

/** A request that failed validation: 400 with a message per field. */
export class FieldError extends AppError {
  readonly fields: FieldMessages;
  constructor(fields: FieldMessages, status = 400, code = 'invalid_request') {
    super(code, status, status === 409 ? 'admin.error.conflict' : 'admin.error.invalid');
    this.fields = fields;
  }
}

export function translateFields(fields: FieldMessages, t: Translate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, m] of Object.entries(fields)) out[k] = t(m.key, m.params);
  return out;
}

const join = (v: unknown) => (Array.isArray(v) ? v.map(String).join(', ') : String(v));

/** One zod issue as a message key; the first issue of a field wins. */
export function issueMessage(issue: z.core.$ZodIssue, value?: unknown): FieldMessage {
  const i = issue as z.core.$ZodIssue & Record<string, any>;
  switch (i.code) {
    case 'invalid_type':
      return value === undefined || value === null
        ? { key: 'admin.field.required' }
        : { key: 'admin.field.invalidType', params: { expected: String(i.expected) } };
    case 'too_small': {
      const min = Number(i.minimum);
      if (i.origin === 'string') return { key: 'admin.field.tooShort', params: { min } };
      if (i.origin === 'array' || i.origin === 'set') return { key: 'admin.field.tooFew', params: { min } };
      return { key: 'admin.field.tooSmall', params: { min } };
    }
    case 'too_big': {
      const max = Number(i.maximum);
      if (i.origin === 'string') return { key: 'admin.field.tooLong', params: { max } };
      if (i.origin === 'array' || i.origin === 'set') return { key: 'admin.field.tooMany', params: { max } };
      return { key: 'admin.field.tooBig', params: { max } };
    }
    case 'invalid_value':
      return { key: 'admin.field.invalidOption', params: { options: join(i.values) } };
    case 'invalid_format':
      if (i.format === 'email') return { key: 'admin.field.email' };
      if (i.format === 'url') return { key: 'admin.field.url' };
      return { key: 'admin.field.format' };
    case 'unrecognized_keys':
      return { key: 'admin.field.unknown' };
    case 'custom':
      if (typeof i.params?.key === 'string' && isMessageKey(i.params.key))
        return { key: i.params.key, params: i.params.params };
      // A rule written with its own (English) explanation: keep the explanation.
      if (typeof i.message === 'string' && i.message && i.message !== 'Invalid input') {
        return { key: 'admin.field.detail', params: { detail: i.message } };
      }
      return { key: 'admin.field.invalid' };
    default:
      return { key: 'admin.field.invalid' };
  }
}

/** Field messages from a zod error, keyed by the dotted path ('' for the whole body). */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

export function fieldsFromZod(error: z.ZodError, input: unknown, prefix = ''): FieldMessages {
  const out: FieldMessages = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys)
        out[[prefix, ...issue.path, k].filter((p) => p !== '').join('.')] ??= { key: 'admin.field.unknown' };
      continue;
    }
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
    out[path || 'body'] ??= issueMessage(issue, valueAt(input, issue.path));
  }
  return out;
}

/** Parses with a schema or throws a FieldError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new FieldError(fieldsFromZod(r.error, input));
  return r.data;
}

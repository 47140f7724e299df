import type { Context, Next } from 'koa';
import { AppError } from './errors.ts';

export const FORM_LIMIT = 64 * 1024;

/*
 * Control characters (C0, DEL, C1) and unpaired surrogates are refused in every form field, JSON
 * string and query parameter, before any handler sees the request: nothing typed in a form needs
 * them, PostgreSQL cannot store NUL in text, and they smuggle line breaks into logs and emails.
 * Tab, CR and LF are allowed only in fields that are multi-line (textareas), and in JSON strings.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_EXCEPT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Whether a string holds a character no single-line (or, with `multiline`, multi-line) field may hold. */
export function hasForbiddenCharacters(v: string, multiline = false): boolean {
  return (multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(v) || !v.isWellFormed();
}

const refuse = () => new AppError('request.control_characters', 400, 'error.controlCharacters');

export interface FormOptions {
  /** Fields that may span lines (textareas): tab, CR and LF are allowed there. */
  multiline?: ReadonlySet<string>;
}

async function readRaw(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) throw new AppError('request.too_large', 413, 'error.http.413');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      ctx.req.unpipe?.();
      ctx.set('Connection', 'close');
      throw new AppError('request.too_large', 413, 'error.http.413');
    }
    chunks.push(chunk as Buffer);
  }
  const buf = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(buf);
  } catch {
    throw new AppError('request.body_invalid', 400, 'error.body_invalid');
  }
}

/** Reads an application/x-www-form-urlencoded body; anything else is refused with 415. */
export async function readForm(
  ctx: Context,
  limit = FORM_LIMIT,
  opts: FormOptions = {},
): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new AppError('request.content_type', 415, 'error.http.415');
  }
  const raw = await readRaw(ctx, limit);
  const out: Record<string, string> = Object.create(null);
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    throw new AppError('request.body_invalid', 400, 'error.body_invalid');
  }
  for (const [k, v] of params) {
    if (hasForbiddenCharacters(k) || hasForbiddenCharacters(v, opts.multiline?.has(k))) throw refuse();
    if (k in out) continue; // first value wins; repeated fields never become arrays
    out[k] = v;
  }
  return out;
}

function checkJson(v: unknown, depth = 0): void {
  if (depth > 64) throw new AppError('request.body_invalid', 400, 'error.body_invalid');
  if (typeof v === 'string') {
    if (hasForbiddenCharacters(v, true)) throw refuse();
  } else if (Array.isArray(v)) {
    for (const x of v) checkJson(x, depth + 1);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (hasForbiddenCharacters(k)) throw refuse();
      checkJson(x, depth + 1);
    }
  }
}

/**
 * Middleware: refuses a request whose query parameters or path hold control characters, with a
 * localized 400, before any route runs (routes read parameters straight from the query).
 */
export function refuseControlCharacters() {
  return async (ctx: Context, next: Next) => {
    let path = ctx.path;
    try {
      path = decodeURIComponent(ctx.path);
    } catch {
      // Malformed percent-encoding: the routes will not match it; the raw path is checked as it is.
    }
    if (hasForbiddenCharacters(path)) throw refuse();
    for (const [k, v] of Object.entries(ctx.query)) {
      if (hasForbiddenCharacters(k)) throw refuse();
      for (const x of Array.isArray(v) ? v : [v])
        if (typeof x === 'string' && hasForbiddenCharacters(x)) throw refuse();
    }
    await next();
  };
}

/** Reads a JSON object body (API routes). */
export async function readJson(
  ctx: Context,
  limit = FORM_LIMIT,
  types: readonly string[] = ['application/json'],
): Promise<unknown> {
  if (!ctx.is(...types)) throw new AppError('request.content_type', 415, 'error.http.415');
  const raw = await readRaw(ctx, limit);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError('request.body_invalid', 400, 'error.body_invalid');
  }
  checkJson(parsed);
  return parsed;
}

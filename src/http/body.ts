import type { Context } from 'koa';
import { AppError } from './errors.ts';

export const FORM_LIMIT = 64 * 1024;

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
export async function readForm(ctx: Context, limit = FORM_LIMIT): Promise<Record<string, string>> {
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
    if (k in out) continue; // first value wins; repeated fields never become arrays
    out[k] = v;
  }
  return out;
}

/** Reads a JSON object body (API routes). */
export async function readJson(ctx: Context, limit = FORM_LIMIT): Promise<unknown> {
  if (!ctx.is('application/json')) throw new AppError('request.content_type', 415, 'error.http.415');
  const raw = await readRaw(ctx, limit);
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError('request.body_invalid', 400, 'error.body_invalid');
  }
}

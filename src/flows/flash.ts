import type { Context } from 'koa';
import type { AppDeps } from '../app/deps.ts';
import { putFlash, takeFlash } from '../store/flash.ts';

/*
 * Post/redirect/get for every form that can fail: the POST keeps what its page must show (the
 * error, a notice, the non-secret fields typed) in server-side state under the flow it belongs to,
 * and answers 303 to the page's GET address, which shows it once. Back and reload then repeat a
 * GET: no "confirm form resubmission", and no failure counted twice. The browser holds nothing
 * that decides what is shown: the flow key comes from the interaction, the reset session or the
 * signed-in session the server already checked.
 */

const TTL_MS = 10 * 60_000;

export interface Flashed {
  /** Merged into the page's data (error, notice, reasons, typed values). */
  data: Record<string, unknown>;
  /** The status the failed post would have had (400, 401, 429), kept for the page. */
  status: number;
}

/** Keeps `data` for `path` in `flow` and answers 303 See Other to `path` (plus `query`, if any). */
export async function redirectWithFlash(
  ctx: Context,
  deps: Pick<AppDeps, 'db' | 'clock'>,
  flow: string,
  path: string,
  data: Record<string, unknown>,
  status = 400,
  query = '',
): Promise<void> {
  await putFlash(deps.db, flow, path, { data, status }, deps.clock.now(), TTL_MS);
  seeOther(ctx, `${path}${query}`);
}

/** A 303 See Other: the browser follows with a GET, whatever the request was. */
export function seeOther(ctx: Context, url: string): void {
  ctx.status = 303;
  ctx.redirect(url);
}

/**
 * What a failed post left for this page (its path), once. `waiting` false says the page has read its
 * flow's rows already and saw no flash for it (flashKind): nothing is taken, and no statement sent.
 */
export async function flashFor(
  ctx: Context,
  deps: Pick<AppDeps, 'db' | 'clock'>,
  flow: string,
  waiting = true,
): Promise<Flashed | undefined> {
  if (ctx.method !== 'GET' || !waiting) return undefined;
  const f = await takeFlash(deps.db, flow, ctx.path, deps.clock.now());
  if (!f || typeof f.data !== 'object' || !f.data) return undefined;
  const status = typeof f.status === 'number' && f.status >= 200 && f.status < 600 ? f.status : 200;
  return { data: f.data as Record<string, unknown>, status };
}

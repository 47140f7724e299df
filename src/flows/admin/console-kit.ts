import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { isMessageKey } from '../../i18n/index.ts';
import type { Flashed } from '../flash.ts';
import type { Permission } from './permissions.ts';
import type { AdminDeps } from './shared.ts';
import type { FieldError } from './validation.ts';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,100}$/;

export type Section =
  | 'dashboard'
  | 'users'
  | 'groups'
  | 'clients'
  | 'apis'
  | 'policy'
  | 'audit'
  | 'reports'
  | 'contacts'
  | 'notices';

type Middleware = (ctx: Context, next: Next) => Promise<unknown>;

/**
 * What a resource's console pages (users/console.ts, groups/console.ts, …) get from the console
 * (../console.ts): the router to mount on, the page layout, the session and permission guards and
 * the form helpers, so every resource's pages look and check alike.
 */
export interface ConsoleKit {
  deps: AppDeps;
  adminDeps: AdminDeps;
  router: Router;
  /** Renders views/admin/<template> inside the console's layout, with `section` current in the nav. */
  page(
    ctx: Context,
    template: string,
    section: Section,
    data?: Record<string, unknown>,
    status?: number,
  ): void;
  /** Loads the signed-in administrator (or sends the browser through sign-in). */
  requireAdmin: Middleware;
  /** Refuses (403) a signed-in administrator without the permission. */
  need(p: Permission): Middleware;
  /** Reads and CSRF-checks a posted form into ctx.state.form. */
  posted: Middleware;
  form(ctx: Context): Record<string, string>;
  actorOf(ctx: Context): Context['state']['console']['actor'];
  fieldsOf(ctx: Context, err: FieldError): Record<string, string>;
  /** A `done=` query value fit to name a message, or undefined. */
  done(q: unknown): string | undefined;
  /**
   * Post/redirect/get for a failed form: keeps `data` (errors and the non-secret values typed,
   * never a password or secret) for `path` under the console session and answers 303 to it.
   */
  failed(ctx: Context, path: string, data: Record<string, unknown>, status?: number): Promise<void>;
  /** What a failed post left for this GET page, once. */
  flash(ctx: Context): Promise<Flashed | undefined>;
  /**
   * Runs a form's change; a refusal (FieldError) is post/redirect/get to `path` (`failed`), keeping
   * `data` of the field messages: by default the messages as one line above the page (`actionError`).
   */
  attempt(
    ctx: Context,
    path: string,
    run: () => Promise<unknown>,
    data?: (errors: Record<string, string>) => Record<string, unknown>,
  ): Promise<void>;
}

/** A method kind in the reader's language ("app" -> "Authenticator app"); unknown kinds as they are. */
export function methodLabel(ctx: Context, kind: string): string {
  const key = `method.${kind}`;
  return isMessageKey(key) ? ctx.state.t(key) : kind;
}

export const fmt = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').slice(0, 16) : '');

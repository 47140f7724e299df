import crypto from 'node:crypto';
import type { Context } from 'koa';
import { endSignOut } from '../account/sessions.ts';
import type { AppDeps } from '../app/deps.ts';
import { AppError } from '../http/errors.ts';
import { render } from '../http/views.ts';
import { isLocale, type MessageKey } from '../i18n/index.ts';
import { ACR_MFA } from '../oidc/acr.ts';
import { type FrontchannelMetadata, frameOrigins, frontchannelFrames } from '../oidc/frontchannel.ts';
import type { InternalClient, TokenResult } from '../oidc/internal-client.ts';
import { deleteSession, type FirstPartySessionRow, findSession, insertSession } from '../store/sessions.ts';
import { findUserById, type User, updateUser } from '../store/users.ts';

/** The language switch's cookie (app/http.ts sets it). */
const LANG_COOKIE = 'tobira.lang';

/**
 * One session model for Tobira's own apps (the portal, the administration console, the demo): each
 * signs in through the provider like any app, and then keeps a server-side session row. The browser
 * holds only a random identifier; the database holds its SHA-256, so the cookie is worthless once
 * the row is gone (sign-out, reset, administrator reset, disable, password change: src/account/sessions.ts).
 */

export interface FirstPartyOptions {
  rp: InternalClient;
  /** Prefix of error codes (portal, admin, demo). */
  name: string;
  cookie: string;
  stateCookie: string;
  /** The cookies' path (/my, /admin, /demo). */
  path: string;
  /** How long a session lasts after its sign-in. */
  ttlMs: number;
  /** Where a sign-in returns when it was started from elsewhere. */
  home: string;
  /** Whether a sign-in may return to this path. */
  returnAllowed(path: string): boolean;
  /** The message for a form posted without a live session. */
  expiredKey: MessageKey;
}

export interface FirstPartySession {
  idHash: string;
  userId: string;
  clientId: string;
  amr: string[];
  acr: string | null;
  /** When the user last signed in, on this app's clock (ms). */
  authTime: number;
  expiresAt: number;
  sid: string | null;
  idToken: string | null;
}

const hashOf = (id: string) => crypto.createHash('sha256').update(id).digest('hex');
const ID = /^[A-Za-z0-9_-]{43}$/;

/** The row as the app sees it: its times in milliseconds, without the row's own creation time. */
function toSession(r: FirstPartySessionRow): FirstPartySession {
  const { authTime, expiresAt, createdAt: _, ...same } = r;
  return { ...same, authTime: authTime.getTime(), expiresAt: expiresAt.getTime() };
}

export class FirstPartySessions {
  readonly #deps: AppDeps;
  readonly opts: FirstPartyOptions;

  constructor(deps: AppDeps, opts: FirstPartyOptions) {
    this.#deps = deps;
    this.opts = opts;
  }

  get #cookie() {
    return {
      httpOnly: true,
      sameSite: 'lax' as const,
      secure: this.#deps.secureCookies,
      path: this.opts.path,
    };
  }

  /**
   * Sends the browser through the provider's sign-in. `stepUp` asks for a fresh sign-in
   * (prompt=login), with a second factor when `mfa` is set.
   */
  signIn(
    ctx: Context,
    o: { returnTo?: string; stepUp?: boolean; mfa?: boolean; extra?: Record<string, string> } = {},
  ): void {
    const returnTo = o.returnTo ?? (ctx.method === 'GET' ? ctx.originalUrl : this.opts.home);
    const extra: Record<string, string> = { ui_locales: ctx.state.locale, ...o.extra };
    if (o.stepUp) {
      extra.prompt = 'login';
      if (o.mfa) extra.acr_values = ACR_MFA;
      // The person signing in again is the one signed in: the sign-in page fills the user ID in.
      const login = (ctx.state.user as { login?: unknown } | undefined)?.login;
      if (typeof login === 'string' && !extra.login_hint) extra.login_hint = login;
    }
    const { url, sealed } = this.opts.rp.begin(returnTo, extra);
    ctx.cookies.set(this.opts.stateCookie, sealed, { ...this.#cookie, maxAge: 600_000 });
    ctx.redirect(url);
  }

  /**
   * The redirect back from the provider: redeems the code, starts a new session (replacing the one
   * the browser had, e.g. before a step-up) and returns to where the sign-in started.
   * When the user cancelled at the provider, `onCancel` answers (by default: an error page).
   */
  async callback(ctx: Context, o: { onCancel?: (ctx: Context) => void } = {}): Promise<void> {
    const { rp, name } = this.opts;
    const st = rp.openState(ctx.cookies.get(this.opts.stateCookie));
    ctx.cookies.set(this.opts.stateCookie, null, this.#cookie);
    if (!st) throw new AppError(`${name}.state`, 400, 'error.interaction_expired');
    const q = ctx.query as Record<string, string>;
    if (typeof q.error === 'string') {
      if (o.onCancel) return o.onCancel(ctx);
      throw new AppError(`${name}.denied`, 400, 'portal.signInCancelled');
    }
    let result: TokenResult;
    try {
      result = await rp.finish(st, { code: q.code, state: q.state, iss: q.iss });
    } catch {
      throw new AppError(`${name}.callback`, 400, 'error.interaction_expired');
    }
    await this.#start(ctx, result);
    ctx.redirect(this.opts.returnAllowed(st.returnTo) ? st.returnTo : this.opts.home);
  }

  async #start(ctx: Context, result: TokenResult): Promise<void> {
    const deps = this.#deps;
    const now = deps.clock.now().getTime();
    // auth_time is on the provider's (wall) clock; keep the sign-in's age, anchored to this app's clock.
    const wall = Math.floor(Date.now() / 1000);
    const ageMs = Math.max(0, wall - (result.claims.auth_time ?? wall)) * 1000;
    const previous = this.#idHash(ctx);
    const id = crypto.randomBytes(32).toString('base64url');
    await deps.db.transaction(async (trx) => {
      if (previous) await deleteSession(trx, previous);
      await insertSession(trx, {
        idHash: hashOf(id),
        userId: result.claims.sub,
        clientId: this.opts.rp.opts.clientId,
        amr: (result.claims.amr ?? []).filter((a) => typeof a === 'string'),
        acr: typeof result.claims.acr === 'string' ? result.claims.acr : null,
        authTime: new Date(now - ageMs),
        createdAt: new Date(now),
        expiresAt: new Date(now + this.opts.ttlMs),
        sid: typeof result.claims.sid === 'string' ? result.claims.sid : null,
        idToken: result.idToken,
      });
    });
    ctx.cookies.set(this.opts.cookie, id, this.#cookie);
  }

  #idHash(ctx: Context): string | undefined {
    const id = ctx.cookies.get(this.opts.cookie);
    return id && ID.test(id) ? hashOf(id) : undefined;
  }

  /** The browser's live session and its (active) user, or undefined (the stale cookie is cleared). */
  async current(ctx: Context): Promise<{ session: FirstPartySession; user: User } | undefined> {
    const idHash = this.#idHash(ctx);
    const row = idHash
      ? await findSession(this.#deps.db, idHash, this.opts.rp.opts.clientId, this.#deps.clock.now())
      : undefined;
    const user = row ? await findUserById(this.#deps.db, row.userId) : undefined;
    if (!row || user?.status !== 'active') {
      if (ctx.cookies.get(this.opts.cookie)) ctx.cookies.set(this.opts.cookie, null, this.#cookie);
      return undefined;
    }
    return { session: toSession(row), user };
  }

  /**
   * A signed-in user who switched the language (the switch's cookie differs from their stored
   * preference) keeps it: the preference is updated, so later notices (sent outside any flow) use it.
   */
  async #keepLanguage<T extends { session: FirstPartySession; user: User }>(ctx: Context, s: T): Promise<T> {
    const chosen = ctx.cookies.get(LANG_COOKIE);
    if (!isLocale(chosen) || chosen === s.user.locale) return s;
    await updateUser(this.#deps.db, s.user.id, { locale: chosen }, this.#deps.clock.now());
    return { ...s, user: { ...s.user, locale: chosen } };
  }

  /**
   * The session, or: a page request is sent through sign-in, and a form posted without a session
   * is refused with 401 (nothing it asked for is done). Returns undefined when it answered.
   */
  async require(ctx: Context): Promise<{ session: FirstPartySession; user: User } | undefined> {
    const s = await this.current(ctx);
    if (s) return this.#keepLanguage(ctx, s);
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD')
      throw new AppError(`${this.opts.name}.session`, 401, this.opts.expiredKey);
    this.signIn(ctx);
    return undefined;
  }

  /**
   * Signs out: this session and the provider session it came from end at once (with back-channel
   * logout to the other apps of that session); the browser then passes the provider's end-session
   * endpoint, which clears the provider's cookie (and asks nothing, the session being over). When
   * apps of that session registered front-channel logout, a page frames them first.
   */
  async signOut(ctx: Context, postLogoutRedirectUri: string, fallback: string): Promise<void> {
    const s = await this.current(ctx);
    ctx.cookies.set(this.opts.cookie, null, this.#cookie);
    if (!s) return ctx.redirect(fallback);
    const ended = await endSignOut(this.#deps, s.session);
    const next = s.session.idToken
      ? this.opts.rp.logoutUrl(s.session.idToken, postLogoutRedirectUri)
      : fallback;
    // Front-channel logout: the apps of the ended session that asked for it, framed before going on.
    const frames = await frontchannelFrames(
      this.#deps.config.issuer,
      ended,
      async (id) => (await this.#deps.clients.get(id))?.payload as FrontchannelMetadata | undefined,
    );
    if (!frames.length) return ctx.redirect(next);
    ctx.state.frameSrc = frameOrigins(frames);
    render(ctx, this.#deps.views, 'signin/frontchannel', { frames, continueUrl: next });
  }

  /** Forgets the browser's session (e.g. before signing in again as someone else). */
  async forget(ctx: Context): Promise<void> {
    const idHash = this.#idHash(ctx);
    if (idHash) await deleteSession(this.#deps.db, idHash);
    ctx.cookies.set(this.opts.cookie, null, this.#cookie);
  }
}

/** The claims of a session's ID token (verified when the session started), for display. */
export function idTokenClaims(s: FirstPartySession): Record<string, unknown> | undefined {
  if (!s.idToken) return undefined;
  try {
    return JSON.parse(Buffer.from(s.idToken.split('.')[1], 'base64url').toString());
  } catch {
    return undefined;
  }
}

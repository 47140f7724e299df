import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app.ts';
import { readForm } from '../../http/body.ts';
import { verifyCsrf } from '../../http/csrf.ts';
import { AppError } from '../../http/errors.ts';
import { render } from '../../http/views.ts';
import { ACR_MFA } from '../../oidc/acr.ts';
import type { InternalClient } from '../../oidc/internal-client.ts';
import { listAudit } from '../../store/audit.ts';
import { listCredentials } from '../../store/credentials.ts';
import { findUserById, type User } from '../../store/users.ts';
import { changePassword } from './password.ts';
import {
  addableMethods,
  beginEnroll,
  chooseDefault,
  describeAll,
  finishEnroll,
  removeMethod,
  renameMethod,
} from './service.ts';

export const PORTAL_CLIENT_ID = 'tobira-portal';
const SESSION_COOKIE = 'tobira.portal';
const STATE_COOKIE = 'tobira.portal.state';
const SESSION_MS = 8 * 3600_000;
/** Adding or removing security info needs a sign-in this recent (SSPR.md §1). */
export const RECENT_SIGN_IN_MS = 10 * 60_000;
const KIND = /^[A-Za-z]{2,20}$/;

interface PortalSession {
  sub: string;
  authTime: number;
  amr: string[];
  idToken: string;
  exp: number;
}

/** The security-info portal: a first-party client of this provider, like any other app. */
export function portalRoutes(deps: AppDeps, rp: InternalClient): Router {
  const router = new Router({ prefix: '/my' });
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies, path: '/my' };
  const flowOf = (user: User) => `enroll:${user.id}`;

  function readSession(ctx: Context): PortalSession | undefined {
    const sealed = ctx.cookies.get(SESSION_COOKIE);
    if (!sealed) return undefined;
    try {
      const s = JSON.parse(deps.box.decryptString('portal-session', sealed)) as PortalSession;
      if (s.exp < deps.clock.now().getTime()) return undefined;
      return s;
    } catch {
      return undefined;
    }
  }

  function signIn(ctx: Context, opts: { stepUp?: boolean; mfa?: boolean } = {}) {
    const returnTo = ctx.method === 'GET' ? ctx.originalUrl : '/my/security-info';
    const extra: Record<string, string> = { ui_locales: ctx.state.locale };
    if (opts.stepUp) {
      extra.prompt = 'login';
      if (opts.mfa) extra.acr_values = ACR_MFA;
    }
    const { url, sealed } = rp.begin(returnTo, extra);
    ctx.cookies.set(STATE_COOKIE, sealed, { ...cookie, maxAge: 600_000 });
    ctx.redirect(url);
  }

  /** Loads the signed-in user or sends the browser through sign-in. */
  async function requireUser(ctx: Context, next: Next) {
    const s = readSession(ctx);
    const user = s ? await findUserById(deps.db, s.sub) : undefined;
    if (!s || !user || user.status !== 'active') {
      ctx.cookies.set(SESSION_COOKIE, null, cookie);
      if (ctx.method !== 'GET') throw new AppError('portal.session', 401, 'portal.sessionExpired');
      return signIn(ctx);
    }
    ctx.state.portal = s;
    ctx.state.user = user;
    await next();
  }

  /** Security-info changes need a sign-in within 10 minutes, with a second factor when the user has one. */
  async function requireRecent(ctx: Context, next: Next) {
    const s = ctx.state.portal as PortalSession;
    const user = ctx.state.user as User;
    const creds = await listCredentials(deps.db, user.id);
    const hasSecondFactor = deps.methods.usable(creds, 'signIn').length > 0;
    const fresh = deps.clock.now().getTime() - s.authTime * 1000 <= RECENT_SIGN_IN_MS;
    if (fresh && (!hasSecondFactor || s.amr.includes('mfa'))) return next();
    if (ctx.method !== 'GET') throw new AppError('portal.stale', 401, 'portal.signInAgain');
    return signIn(ctx, { stepUp: true, mfa: hasSecondFactor });
  }

  const cxOf = async (ctx: Context) =>
    deps.methodContext(await deps.policy(), { ip: ctx.state.meta.ip, locale: ctx.state.locale });

  /** Reads and checks a posted form before anything else looks at the request. */
  async function posted(ctx: Context, next: Next) {
    const f = await readForm(ctx);
    verifyCsrf(ctx, f, deps.issuerOrigin);
    ctx.state.form = f;
    await next();
  }
  const form = (ctx: Context) => ctx.state.form as Record<string, string>;

  router.get('/', (ctx) => ctx.redirect('/my/security-info'));

  router.get('/callback', async (ctx) => {
    const st = rp.openState(ctx.cookies.get(STATE_COOKIE));
    ctx.cookies.set(STATE_COOKIE, null, cookie);
    if (!st) throw new AppError('portal.state', 400, 'error.interaction_expired');
    const q = ctx.query as Record<string, string>;
    if (typeof q.error === 'string') throw new AppError('portal.denied', 400, 'portal.signInCancelled');
    let result: Awaited<ReturnType<InternalClient['finish']>>;
    try {
      result = await rp.finish(st, { code: q.code, state: q.state, iss: q.iss });
    } catch {
      throw new AppError('portal.callback', 400, 'error.interaction_expired');
    }
    // auth_time is on the provider's own (wall) clock; keep the sign-in's age, anchored to our clock.
    const ageSec = Math.max(
      0,
      Math.floor(Date.now() / 1000) - (result.claims.auth_time ?? Math.floor(Date.now() / 1000)),
    );
    const session: PortalSession = {
      sub: result.claims.sub,
      authTime: Math.floor(deps.clock.now().getTime() / 1000) - ageSec,
      amr: result.claims.amr ?? [],
      idToken: result.idToken,
      exp: deps.clock.now().getTime() + SESSION_MS,
    };
    ctx.cookies.set(SESSION_COOKIE, deps.box.encrypt('portal-session', JSON.stringify(session)), cookie);
    ctx.redirect(st.returnTo.startsWith('/my/') ? st.returnTo : '/my/security-info');
  });

  router.post('/signout', posted, async (ctx) => {
    const s = readSession(ctx);
    ctx.cookies.set(SESSION_COOKIE, null, cookie);
    ctx.redirect(s ? rp.logoutUrl(s.idToken, `${deps.config.issuer}/`) : '/');
  });

  router.get('/security-info', requireUser, async (ctx) => {
    const user = ctx.state.user as User;
    const policy = await deps.policy();
    const creds = await listCredentials(deps.db, user.id);
    render(ctx, deps.views, 'my/security-info', {
      user,
      methods: describeAll(deps, creds, ctx.state.t),
      addable: addableMethods(deps, policy, user, creds).map((m) => ({
        kind: m.kind,
        label: ctx.state.t(`method.${m.kind}` as never),
      })),
      notice: ['added', 'removed', 'default', 'password', 'renamed'].find((n) => n === ctx.query.done),
    });
  });

  router.get('/security-info/add/:kind', requireUser, requireRecent, async (ctx) => {
    const user = ctx.state.user as User;
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const view = await beginEnroll(deps, await cxOf(ctx), user, kind, flowOf(user));
    render(ctx, deps.views, 'my/add-method', {
      partial: view.partial,
      view: view.data,
      action: `/my/security-info/add/${kind}`,
      methodName: ctx.state.t(`method.${kind}` as never),
    });
  });

  router.post('/security-info/add/:kind', posted, requireUser, requireRecent, async (ctx) => {
    const input = form(ctx);
    const user = ctx.state.user as User;
    const cx = await cxOf(ctx);
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const r = await finishEnroll(deps, cx, user, kind, flowOf(user), input, ctx.state.meta);
    if (r.ok) return ctx.redirect('/my/security-info?done=added');
    const view = await beginEnroll(deps, cx, user, kind, flowOf(user));
    render(
      ctx,
      deps.views,
      'my/add-method',
      {
        partial: view.partial,
        view: view.data,
        action: `/my/security-info/add/${kind}`,
        methodName: ctx.state.t(`method.${kind}` as never),
        error: ctx.state.t(r.error.messageKey, r.error.params),
      },
      r.error.status,
    );
  });

  router.post('/security-info/:id/delete', posted, requireUser, requireRecent, async (ctx) => {
    await removeMethod(deps, ctx.state.user as User, ctx.params.id, ctx.state.meta);
    ctx.redirect('/my/security-info?done=removed');
  });

  router.post('/security-info/:id/rename', posted, requireUser, async (ctx) => {
    await renameMethod(
      deps,
      ctx.state.user as User,
      ctx.params.id,
      (form(ctx).name ?? '').slice(0, 256),
      ctx.state.meta,
    );
    ctx.redirect('/my/security-info?done=renamed');
  });

  router.post('/security-info/:id/default', posted, requireUser, requireRecent, async (ctx) => {
    await chooseDefault(deps, ctx.state.user as User, ctx.params.id, ctx.state.meta);
    ctx.redirect('/my/security-info?done=default');
  });

  router.get('/password', requireUser, async (ctx) => {
    render(ctx, deps.views, 'my/password', { reasons: [] });
  });

  router.post('/password', posted, requireUser, async (ctx) => {
    const f = form(ctx);
    const user = ctx.state.user as User;
    const r = await changePassword(
      deps,
      user,
      { current: f.current ?? '', next: f.password ?? '', confirm: f.confirm ?? '' },
      ctx.state.meta,
    );
    if (r.ok) return ctx.redirect('/my/security-info?done=password');
    render(
      ctx,
      deps.views,
      'my/password',
      { reasons: r.reasons.map((x) => ctx.state.t(x.key, x.params)) },
      r.locked ? 429 : 400,
    );
  });

  router.get('/activity', requireUser, async (ctx) => {
    const user = ctx.state.user as User;
    const events = await listAudit(deps.db, { subjectId: user.id, limit: 50 });
    render(ctx, deps.views, 'my/activity', {
      events: events.map((e) => ({
        at: e.at.toISOString().replace('T', ' ').slice(0, 19),
        activity: e.activity,
        result: e.result,
        ip: e.ip ?? '',
      })),
    });
  });

  return router;
}

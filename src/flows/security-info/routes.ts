import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { changePassword } from '../../account/password.ts';
import {
  addableMethods,
  beginEnroll,
  chooseDefault,
  confirmOrganizationMethod,
  describeAll,
  finishEnroll,
  removeMethod,
  renameMethod,
} from '../../account/security-info.ts';
import type { AppDeps } from '../../app/deps.ts';
import { AppError } from '../../http/errors.ts';
import { posted as postedForm } from '../../http/form.ts';
import { render } from '../../http/views.ts';
import { activityLabel, resultLabel, resultTone } from '../../i18n/activity.ts';
import { maskAddress } from '../../methods/email/index.ts';
import { confirmProfileCode, profileVerifyView, sendProfileCode } from '../../methods/email/profile.ts';
import type { Fail } from '../../methods/results.ts';
import type { InternalClient } from '../../oidc/internal-client.ts';
import { listAudit, recordAudit } from '../../store/audit.ts';
import { listCredentials } from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import { type FirstPartySession, FirstPartySessions } from '../first-party-session.ts';
import { flashFor, redirectWithFlash } from '../flash.ts';

export { PORTAL_CLIENT_ID } from '../../oidc/builtin-clients.ts';

const SESSION_COOKIE = 'tobira.portal';
const STATE_COOKIE = 'tobira.portal.state';
const SESSION_MS = 8 * 3600_000;
/** Adding or removing security info needs a sign-in this recent (SSPR.md §1). */
export const RECENT_SIGN_IN_MS = 10 * 60_000;
const KIND = /^[A-Za-z]{2,20}$/;

declare module 'koa' {
  interface DefaultState {
    /** The portal's session and its user (set by `requireUser`, under /my). */
    portal: FirstPartySession;
    user: User;
  }
}

/** The security-info portal: a first-party client of this provider, like any other app. */
export function portalRoutes(deps: AppDeps, rp: InternalClient): Router {
  const router = new Router({ prefix: '/my' });
  const flowOf = (user: User) => `enroll:${user.id}`;

  const sessions = new FirstPartySessions(deps, {
    rp,
    name: 'portal',
    cookie: SESSION_COOKIE,
    stateCookie: STATE_COOKIE,
    path: '/my',
    ttlMs: SESSION_MS,
    home: '/my/security-info',
    returnAllowed: (p) => p.startsWith('/my/'),
    expiredKey: 'portal.sessionExpired',
  });

  /** Loads the signed-in user or sends the browser through sign-in. */
  async function requireUser(ctx: Context, next: Next) {
    const s = await sessions.require(ctx);
    if (!s) return;
    ctx.state.portal = s.session;
    ctx.state.user = s.user;
    await next();
  }

  /** Security-info changes need a sign-in within 10 minutes, with a second factor when the user has one. */
  async function requireRecent(ctx: Context, next: Next) {
    const s = ctx.state.portal;
    const user = ctx.state.user;
    const creds = await listCredentials(deps.db, user.id);
    const hasSecondFactor = deps.methods.usable(creds, 'signIn').length > 0;
    const fresh = deps.clock.now().getTime() - s.authTime <= RECENT_SIGN_IN_MS;
    if (fresh && (!hasSecondFactor || s.amr.includes('mfa'))) return next();
    if (ctx.method !== 'GET') throw new AppError('portal.stale', 401, 'portal.signInAgain');
    return sessions.signIn(ctx, { stepUp: true, mfa: hasSecondFactor });
  }

  const cxOf = async (ctx: Context) =>
    deps.methodContext(await deps.policy(), { ip: ctx.state.meta.ip, locale: ctx.state.locale });

  const posted = postedForm(deps.issuerOrigin);
  const form = (ctx: Context) => ctx.state.form;
  /** Post/redirect/get in the portal session: a failed post leaves its message for the page's GET. */
  const flowKey = (ctx: Context) => `portal:${ctx.state.portal.idHash}`;
  const failTo = (ctx: Context, path: string, data: Record<string, unknown>, status: number) =>
    redirectWithFlash(ctx, deps, flowKey(ctx), path, data, status);
  const flashOf = (ctx: Context) => flashFor(ctx, deps, flowKey(ctx));

  router.get('/', (ctx) => ctx.redirect('/my/security-info'));

  router.get('/callback', (ctx) => sessions.callback(ctx));

  router.post('/signout', posted, (ctx) => sessions.signOut(ctx, `${deps.config.issuer}/`, '/'));

  router.get('/security-info', requireUser, async (ctx) => {
    const user = ctx.state.user;
    const policy = await deps.policy();
    const creds = await listCredentials(deps.db, user.id);
    render(ctx, deps.views, 'my/security-info', {
      user,
      methods: describeAll(deps, creds, ctx.state.t),
      addable: addableMethods(deps, policy, user, creds).map((m) => ({
        kind: m.kind,
        label: ctx.state.t(`method.${m.kind}` as never),
      })),
      notice: ['added', 'removed', 'default', 'password', 'renamed', 'confirmed', 'emailVerified'].find(
        (n) => n === ctx.query.done,
      ),
      emailUnverified: user.email && !user.emailVerifiedAt ? maskAddress(user.email) : undefined,
    });
  });

  // ---- verifying the profile email with a code sent to it ----
  const verifyFlowOf = (user: User) => `verify-email:${user.id}`;
  const limitStatus = (f: Fail) => (/\.(limit|tooMany)/.test(f.error) ? 429 : 400);

  async function renderVerify(ctx: Context) {
    const user = ctx.state.user;
    const f = await flashOf(ctx);
    const problem = f?.data.problem as Fail | undefined;
    const view = await profileVerifyView(await cxOf(ctx), user, verifyFlowOf(user));
    const shown = problem ?? ('problem' in view ? view.problem : undefined);
    render(
      ctx,
      deps.views,
      'my/verify-email',
      { view, error: shown ? ctx.state.t(shown.error, shown.params) : undefined },
      f?.status,
    );
  }
  const verifyFailed = (ctx: Context, problem: Fail) =>
    failTo(ctx, '/my/email', { problem }, limitStatus(problem));

  async function auditVerify(ctx: Context, result: 'succeeded' | 'failed', reason?: string) {
    const user = ctx.state.user;
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      actorId: user.id,
      subjectId: user.id,
      activity: 'user.email_verify',
      result,
      reason,
      ip: ctx.state.meta.ip,
      userAgent: ctx.state.meta.userAgent,
    });
  }

  router.get('/email', requireUser, (ctx) => renderVerify(ctx));

  router.post('/email/send', posted, requireUser, async (ctx) => {
    const user = ctx.state.user;
    const r = await sendProfileCode(await cxOf(ctx), user, verifyFlowOf(user));
    if (!r.ok) return verifyFailed(ctx, r);
    ctx.redirect('/my/email');
  });

  router.post('/email/verify', posted, requireUser, async (ctx) => {
    const user = ctx.state.user;
    const r = await confirmProfileCode(await cxOf(ctx), user, verifyFlowOf(user), form(ctx).code);
    if (r.ok) {
      await auditVerify(ctx, 'succeeded');
      return ctx.redirect('/my/security-info?done=emailVerified');
    }
    await auditVerify(ctx, 'failed', r.error);
    return verifyFailed(ctx, r);
  });

  router.get('/security-info/add/:kind', requireUser, requireRecent, async (ctx) => {
    const user = ctx.state.user;
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const f = await flashOf(ctx);
    const view = await beginEnroll(deps, await cxOf(ctx), user, kind, flowOf(user));
    render(
      ctx,
      deps.views,
      'my/add-method',
      {
        partial: view.partial,
        view: view.data,
        action: `/my/security-info/add/${kind}`,
        methodName: ctx.state.t(`method.${kind}` as never),
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/security-info/add/:kind', posted, requireUser, requireRecent, async (ctx) => {
    const input = form(ctx);
    const user = ctx.state.user;
    const cx = await cxOf(ctx);
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const r = await finishEnroll(deps, cx, user, kind, flowOf(user), input, ctx.state.meta);
    if (r.ok) return ctx.redirect('/my/security-info?done=added');
    const message = ctx.state.t(r.error.messageKey, r.error.params);
    await failTo(
      ctx,
      `/my/security-info/add/${kind}`,
      r.step ? { notice: message } : { error: message },
      r.error.status,
    );
  });

  /** "Delete" asks first: a page that names the method, with a form that posts the deletion (no JavaScript). */
  router.get('/security-info/:id/delete', requireUser, requireRecent, async (ctx) => {
    const user = ctx.state.user as User;
    const creds = await listCredentials(deps.db, user.id);
    const m = describeAll(deps, creds, ctx.state.t).find((x) => x.id === ctx.params.id);
    if (!m) throw new AppError('security_info.not_found', 404, 'error.http.404');
    render(ctx, deps.views, 'my/confirm-delete', {
      method: { id: m.id, name: ctx.state.t(`method.${m.kind}` as never), label: m.label },
      last: creds.length === 1,
    });
  });

  router.post('/security-info/:id/delete', posted, requireUser, requireRecent, async (ctx) => {
    await removeMethod(deps, ctx.state.user, ctx.params.id, ctx.state.meta);
    ctx.redirect('/my/security-info?done=removed');
  });

  router.post('/security-info/:id/rename', posted, requireUser, async (ctx) => {
    await renameMethod(
      deps,
      ctx.state.user,
      ctx.params.id,
      (form(ctx).name ?? '').slice(0, 256),
      ctx.state.meta,
    );
    ctx.redirect('/my/security-info?done=renamed');
  });

  router.post('/security-info/:id/confirm', posted, requireUser, requireRecent, async (ctx) => {
    await confirmOrganizationMethod(deps, ctx.state.user as User, ctx.params.id, ctx.state.meta);
    ctx.redirect('/my/security-info?done=confirmed');
  });

  /** Replacing a method the organisation added: it goes, and the user registers their own instead. */
  router.post('/security-info/:id/replace', posted, requireUser, requireRecent, async (ctx) => {
    const user = ctx.state.user as User;
    const cred = (await listCredentials(deps.db, user.id)).find(
      (c) => c.id === ctx.params.id && c.source === 'organization',
    );
    if (!cred) throw new AppError('security_info.not_found', 404, 'securityInfo.notFound');
    await removeMethod(deps, user, cred.id, ctx.state.meta);
    ctx.redirect(`/my/security-info/add/${deps.methods.enrollerOf(cred)?.kind ?? cred.kind}`);
  });

  router.post('/security-info/:id/default', posted, requireUser, requireRecent, async (ctx) => {
    await chooseDefault(deps, ctx.state.user, ctx.params.id, ctx.state.meta);
    ctx.redirect('/my/security-info?done=default');
  });

  router.get('/password', requireUser, async (ctx) => {
    const f = await flashOf(ctx);
    render(ctx, deps.views, 'my/password', { reasons: [], ...f?.data }, f?.status);
  });

  router.post('/password', posted, requireUser, async (ctx) => {
    const f = form(ctx);
    const user = ctx.state.user;
    const r = await changePassword(
      deps,
      user,
      { current: f.current ?? '', next: f.password ?? '', confirm: f.confirm ?? '' },
      ctx.state.meta,
      ctx.state.portal.idHash,
    );
    if (r.ok) return ctx.redirect('/my/security-info?done=password');
    await failTo(
      ctx,
      '/my/password',
      { reasons: r.reasons.map((x) => ctx.state.t(x.key, x.params)) },
      r.locked ? 429 : 400,
    );
  });

  router.get('/activity', requireUser, async (ctx) => {
    const user = ctx.state.user;
    const events = await listAudit(deps.db, { subjectId: user.id, limit: 50 });
    render(ctx, deps.views, 'my/activity', {
      events: events.map((e) => ({
        at: e.at,
        activity: activityLabel(ctx.state.t, e.activity),
        result: resultLabel(ctx.state.t, e.result),
        tone: resultTone(e.result),
        ip: e.ip ?? '',
      })),
    });
  });

  return router;
}

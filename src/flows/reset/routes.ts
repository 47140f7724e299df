import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { setNewPassword } from '../../account/password.ts';
import { confirmByUse } from '../../account/security-info.ts';
import type { AppDeps } from '../../app/deps.ts';
import { AppError } from '../../http/errors.ts';
import { posted as postedForm } from '../../http/form.ts';
import { render } from '../../http/views.ts';
import type { MethodView } from '../../methods/types.ts';
import { gatesRequired } from '../../policy/sspr.ts';
import { listCredentials } from '../../store/credentials.ts';
import { groupNamesOf } from '../../store/groups.ts';
import { findUserByLogin, type User } from '../../store/users.ts';
import { flashFor, redirectWithFlash, seeOther } from '../flash.ts';
import * as machine from './machine.ts';
import {
  audit,
  completeReset,
  eligibility,
  flowOf,
  isSignInLocked,
  loadSession,
  methodBlocked,
  type ResetState,
  resetOptions,
  startSession,
  takeAttempt,
  transition,
  unlockOnly,
  userOf,
  verifyGuarded,
} from './service.ts';

const COOKIE = 'tobira.reset';
/** A user who never had a password here sets a first one: the pages and the notice say "set", not "reset". */
const firstPassword = (u: User) => u.passwordManaged === 'local' && !u.passwordHash;
const KIND = /^[A-Za-z]{2,20}$/;
const UID = /^[A-Za-z0-9_-]{10,64}$/;

interface Session {
  id: string;
  state: ResetState;
  user: User;
  /** Gates the policy requires of the user (set by `gatesPassed`). */
  required?: number;
}

declare module 'koa' {
  interface DefaultState {
    /** The live reset session of this browser (set by the `session` middleware, under /reset). */
    reset: Session;
    /** The new-password page offers "unlock without resetting" (the policy allows it, sign-in is locked). */
    unlockOffered?: boolean;
  }
}

/** "Can't access your account?": identify, pass the gates, set a new password (SSPR.md §3). */
export function resetRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/reset' });
  const cookieOpts = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies, path: '/reset' };
  const meta = (ctx: Context) => ctx.state.meta;
  const cxOf = async (ctx: Context) =>
    deps.methodContext(await deps.policy(), { ip: ctx.state.meta.ip, locale: ctx.state.locale });

  const posted = postedForm(deps.issuerOrigin);
  const form = (ctx: Context) => ctx.state.form;

  /** Every step after the first needs the live session of this browser, for a real user. */
  async function session(ctx: Context, next: Next) {
    const s = await loadSession(deps, ctx.cookies.get(COOKIE));
    const user = s ? await userOf(deps, s.state) : undefined;
    if (!s || !user) {
      ctx.cookies.set(COOKIE, null, cookieOpts);
      return render(ctx, deps.views, 'reset/expired', {}, 400);
    }
    ctx.state.reset = { id: s.id, state: s.state, user } satisfies Session;
    await next();
  }
  const sess = (ctx: Context) => ctx.state.reset;
  /** A failed post answers 303 to `path`, which shows `data` once (post/redirect/get, in the reset session). */
  const failTo = (ctx: Context, path: string, data: Record<string, unknown>, status: number) =>
    redirectWithFlash(ctx, deps, flowOf(sess(ctx).id), path, data, status);
  const flashOf = (ctx: Context) => flashFor(ctx, deps, flowOf(sess(ctx).id));
  /** The identify step has no session yet: its two refusals go back as a message name and the typed ID. */
  const IDENTIFY_PROBLEMS = { missing: 'reset.identify.missing', pow: 'reset.identify.pow' } as const;
  const factsOf = (required: number): machine.ResetFacts => ({ now: deps.clock.now().getTime(), required });

  /** A transition the reset machine refused, as the page or status it has always been. */
  function refuse(ctx: Context, refusal: machine.ResetRefusal) {
    switch (refusal) {
      case 'gates_passed':
        return ctx.redirect('/reset/password');
      case 'gate_passed':
        throw new AppError('reset.method_unavailable', 404, 'reset.methodUnavailable');
      case 'precheck_missing':
        throw new AppError('reset.skipped_step', 400, 'reset.stepOrder');
      case 'gates_missing':
        throw new AppError('reset.gates_missing', 403, 'reset.stepOrder');
      case 'finished':
      case 'expired':
        ctx.cookies.set(COOKIE, null, cookieOpts);
        return render(ctx, deps.views, 'reset/expired', {}, 400);
    }
  }

  async function identifyPage(ctx: Context, data: Record<string, unknown> = {}, status = 200) {
    const interaction =
      typeof ctx.query.interaction === 'string' && UID.test(ctx.query.interaction)
        ? ctx.query.interaction
        : '';
    render(
      ctx,
      deps.views,
      'reset/identify',
      {
        interaction,
        powChallenge: await deps.pow.challenge(),
        // The sign-in page's links ("locked", "I can't use any of these") carry the user ID.
        username: typeof ctx.query.login === 'string' ? ctx.query.login.trim().slice(0, 256) : '',
        ...data,
      },
      status,
    );
  }

  router.get('/', async (ctx) => {
    const problem = typeof ctx.query.problem === 'string' ? ctx.query.problem : '';
    if (problem === 'missing' || problem === 'pow') {
      return identifyPage(ctx, { error: ctx.state.t(IDENTIFY_PROBLEMS[problem]) }, 400);
    }
    return identifyPage(ctx);
  });

  /** Back to the identify page with a refusal: only a known message name and the typed ID travel. */
  function identifyAgain(
    ctx: Context,
    problem: keyof typeof IDENTIFY_PROBLEMS,
    login: string,
    interaction?: string,
  ) {
    const q = new URLSearchParams({ problem });
    if (login) q.set('login', login);
    if (interaction) q.set('interaction', interaction);
    seeOther(ctx, `/reset?${q}`);
  }

  router.post('/', posted, async (ctx) => {
    const f = form(ctx);
    const login = (f.username ?? '').trim().slice(0, 256);
    const interaction = UID.test(f.interaction ?? '') ? f.interaction : undefined;
    if (interaction) ctx.query.interaction = interaction;
    if (!login) return identifyAgain(ctx, 'missing', '', interaction);
    if (!(await deps.pow.verify(f.altcha))) return identifyAgain(ctx, 'pow', login, interaction);
    const policy = await deps.policy();
    // The attempt is taken before eligibility is looked at: parallel starts cannot pass the limit.
    const known = await findUserByLogin(deps.db, login);
    if (!(await takeAttempt(deps, login, known?.id ?? null))) {
      await audit(deps, null, 'reset.attempt', 'blocked', meta(ctx), 'too many attempts', { login });
      return render(ctx, deps.views, 'reset/blocked', { interaction }, 429);
    }
    const { result, user } = await eligibility(deps, policy, login);
    const s = await startSession(deps, login, result === 'eligible' ? user!.id : null, interaction);
    ctx.cookies.set(COOKIE, `${s.id}.${s.secret}`, cookieOpts);
    if (result !== 'eligible') {
      await audit(
        deps,
        user?.id ?? null,
        'reset.attempt',
        'failed',
        meta(ctx),
        result,
        user ? undefined : { login },
      );
      return render(ctx, deps.views, `reset/${result === 'notEnabled' ? 'not-enabled' : result}`, {
        interaction,
        contact: contactMode(policy.helpdeskContact),
      });
    }
    ctx.redirect('/reset/verify');
  });

  function contactMode(setting: string): { kind: 'form' } | { kind: 'url'; url: string } {
    return /^https?:\/\//.test(setting) ? { kind: 'url', url: setting } : { kind: 'form' };
  }

  async function options(ctx: Context, s: Session) {
    const policy = await deps.policy();
    const creds = await listCredentials(deps.db, s.user.id);
    const subject = { roles: s.user.roles, groups: await groupNamesOf(deps.db, s.user.id) };
    const required = gatesRequired(policy, subject);
    const list = [];
    for (const o of resetOptions(deps, policy, s.user, creds)) {
      const gate = deps.methods.gateOf(o.method.kind);
      if (s.state.gates.includes(gate)) continue;
      list.push({
        kind: o.method.kind,
        name: ctx.state.t(`method.${o.method.kind}` as never),
        labels: o.credentials.map((c) => o.method.describe(c, ctx.state.t)),
        blocked: await methodBlocked(deps, s.user.id, o.method.kind),
        credentials: o.credentials,
        method: o.method,
      });
    }
    return { list, required, policy };
  }

  router.get('/verify', session, async (ctx) => {
    const s = sess(ctx);
    const { list, required } = await options(ctx, s);
    if (machine.stageOf(s.state, factsOf(required)) === 'passed') return ctx.redirect('/reset/password');
    render(ctx, deps.views, 'reset/verify', {
      options: list.map(({ kind, name, labels, blocked }) => ({ kind, name, labels, blocked })),
      gate: s.state.gates.length + 1,
      required,
      first: firstPassword(s.user),
      contact: contactMode((await deps.policy()).helpdeskContact),
    });
  });

  /** A blocked method: the method page's GET says so (429), so Back and reload post nothing again. */
  const blockedPage = (ctx: Context) => seeOther(ctx, ctx.path);

  async function methodStep(ctx: Context, s: Session, kind: string) {
    const { list, required } = await options(ctx, s);
    const o = list.find((x) => x.kind === kind);
    if (!o) throw new AppError('reset.method_unavailable', 404, 'reset.methodUnavailable');
    if (o.blocked) throw new AppError('reset.method_blocked', 429, 'reset.methodBlocked');
    return { ...o, required };
  }

  async function stepPage(
    ctx: Context,
    s: Session,
    kind: string,
    view: MethodView,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    render(
      ctx,
      deps.views,
      'reset/method',
      {
        partial: view.partial,
        view: view.data,
        action: `/reset/verify/${kind}`,
        methodName: ctx.state.t(`method.${kind}` as never),
        ...extra,
      },
      status,
    );
    void s;
  }

  router.get('/verify/:kind', session, async (ctx) => {
    const s = sess(ctx);
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const { list } = await options(ctx, s);
    const listed = list.find((x) => x.kind === kind);
    if (listed?.blocked) {
      return render(ctx, deps.views, 'reset/method-blocked', { methodName: listed.name }, 429);
    }
    const o = await methodStep(ctx, s, kind);
    const cx = await cxOf(ctx);
    const flow = flowOf(s.id);
    const f = await flashOf(ctx);
    if (o.method.resetPrecheck && machine.methodStep(s.state, kind, true) === 'precheck') {
      const view = o.method.resetPrecheck.view(cx, s.user, o.credentials, flow);
      return render(
        ctx,
        deps.views,
        'reset/method',
        {
          partial: view.partial,
          view: view.data,
          action: `/reset/verify/${kind}/precheck`,
          methodName: o.name,
          ...f?.data,
        },
        f?.status,
      );
    }
    const view = await o.method.challenge(cx, s.user, o.credentials, flow);
    await stepPage(ctx, s, kind, view, f?.data, f?.status);
  });

  router.post('/verify/:kind/precheck', posted, session, async (ctx) => {
    const s = sess(ctx);
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const o = await methodStep(ctx, s, kind);
    if (!o.method.resetPrecheck) throw new AppError('reset.no_precheck', 404, 'reset.methodUnavailable');
    const cx = await cxOf(ctx);
    const flow = flowOf(s.id);
    const precheck = o.method.resetPrecheck;
    const g = await verifyGuarded(deps, s.user.id, kind, async () => {
      const value = await precheck.submit(cx, s.user, o.credentials, flow, form(ctx));
      return { value, outcome: value.ok ? 'uncounted' : 'failure' };
    });
    if (g.refused) throw new AppError('reset.method_blocked', 429, 'reset.methodBlocked');
    const r = g.value;
    if (!r.ok) {
      const blocked = g.blocked;
      await audit(deps, s.user.id, 'reset.verify', blocked ? 'blocked' : 'failed', meta(ctx), r.error, {
        kind,
      });
      return failTo(
        ctx,
        `/reset/verify/${kind}`,
        { error: ctx.state.t(r.error, r.params), others: true },
        blocked ? 429 : 400,
      );
    }
    const t = await transition(deps, s.id, factsOf(o.required), { type: 'prechecked', kind });
    if (!t?.ok) return refuse(ctx, t ? t.refusal : 'expired');
    // The number matched and the user pressed "Send code": that is the request, so the code goes now
    // (the method page itself never sends on load).
    const sent = await o.method.verify(cx, s.user, o.credentials, flow, { resend: '1' });
    if (sent.ok) return seeOther(ctx, `/reset/verify/${kind}`);
    const message = ctx.state.t(sent.error, sent.params);
    // A send that failed (the provider, a limit) is no wrong answer: the page says so and offers the others.
    await failTo(
      ctx,
      `/reset/verify/${kind}`,
      sent.step ? { notice: message } : { error: message, others: true },
      200,
    );
  });

  router.post('/verify/:kind', posted, session, async (ctx) => {
    const s = sess(ctx);
    const kind = KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const o = await methodStep(ctx, s, kind);
    const verified = {
      type: 'verified',
      kind,
      gate: deps.methods.gateOf(kind),
      needsPrecheck: !!o.method.resetPrecheck,
    } as const;
    // Asked before the method runs: a skipped pre-step is refused unevaluated.
    const allowed = machine.step(s.state, factsOf(o.required), verified);
    if (!allowed.ok) return refuse(ctx, allowed.refusal);
    const cx = await cxOf(ctx);
    const flow = flowOf(s.id);
    const g = await verifyGuarded(deps, s.user.id, kind, async () => {
      const value = await o.method.verify(cx, s.user, o.credentials, flow, form(ctx));
      return { value, outcome: value.ok ? 'success' : value.counted === false ? 'uncounted' : 'failure' };
    });
    if (g.refused) {
      await audit(deps, s.user.id, 'reset.verify', 'blocked', meta(ctx), 'method blocked', { kind });
      return blockedPage(ctx);
    }
    const r = g.value;
    if (!r.ok && r.step && !g.blocked) {
      // A new code sent on request: the next step of the flow, not a failed verification.
      return failTo(ctx, `/reset/verify/${kind}`, { notice: ctx.state.t(r.error, r.params) }, 200);
    }
    if (r.ok && g.blocked) {
      // Failures racing this success blocked the method: the block holds.
      await audit(deps, s.user.id, 'reset.verify', 'blocked', meta(ctx), 'method blocked', { kind });
      return blockedPage(ctx);
    }
    if (!r.ok) {
      const blocked = g.blocked || !!r.exhausted;
      await audit(deps, s.user.id, 'reset.verify', blocked ? 'blocked' : 'failed', meta(ctx), r.error, {
        kind,
      });
      if (blocked)
        await audit(deps, s.user.id, 'reset.attempt', 'blocked', meta(ctx), 'method blocked', { kind });
      if (blocked) return blockedPage(ctx);
      return failTo(
        ctx,
        `/reset/verify/${kind}`,
        { error: ctx.state.t(r.error, r.params), others: true },
        400,
      );
    }
    await audit(deps, s.user.id, 'reset.verify', 'succeeded', meta(ctx), null, { kind });
    await confirmByUse(deps, s.user, r.credentialId);
    const t = await transition(deps, s.id, factsOf(o.required), verified);
    if (!t?.ok) return refuse(ctx, t ? t.refusal : 'expired');
    ctx.redirect('/reset/verify');
  });

  /** The new-password step: only after every gate passed (no skipping by URL). */
  async function gatesPassed(ctx: Context, next: Next) {
    const s = sess(ctx);
    const policy = await deps.policy();
    const subject = { roles: s.user.roles, groups: await groupNamesOf(deps.db, s.user.id) };
    s.required = gatesRequired(policy, subject);
    if (machine.stageOf(s.state, factsOf(s.required)) !== 'passed') return refuse(ctx, 'gates_missing');
    ctx.state.unlockOffered = policy.allowUnlockWithoutReset && (await isSignInLocked(deps, s.user));
    await next();
  }

  router.get('/password', session, gatesPassed, async (ctx) => {
    const f = await flashOf(ctx);
    render(
      ctx,
      deps.views,
      'reset/password',
      { reasons: [], unlock: ctx.state.unlockOffered, first: firstPassword(sess(ctx).user), ...f?.data },
      f?.status,
    );
  });

  router.post('/password', posted, session, gatesPassed, async (ctx) => {
    const s = sess(ctx);
    const f = form(ctx);
    const r = await setNewPassword(
      deps,
      s.user,
      f.password ?? '',
      f.confirm ?? '',
      meta(ctx),
      'reset.password',
    );
    if (!r.ok) {
      return failTo(
        ctx,
        '/reset/password',
        { reasons: r.reasons.map((x) => ctx.state.t(x.key, x.params)) },
        400,
      );
    }
    const t = await transition(deps, s.id, factsOf(s.required!), { type: 'finish' });
    if (!t?.ok) return refuse(ctx, t ? t.refusal : 'expired');
    await completeReset(deps, s.user, t.state, meta(ctx));
    ctx.cookies.set(COOKIE, null, cookieOpts);
    render(ctx, deps.views, 'reset/done', {
      interaction: s.state.interaction,
      unlocked: false,
      first: firstPassword(s.user),
    });
  });

  router.post('/unlock', posted, session, gatesPassed, async (ctx) => {
    const s = sess(ctx);
    if (!ctx.state.unlockOffered) throw new AppError('reset.unlock_not_allowed', 403, 'error.http.403');
    const t = await transition(deps, s.id, factsOf(s.required!), { type: 'finish' });
    if (!t?.ok) return refuse(ctx, t ? t.refusal : 'expired');
    await unlockOnly(deps, s.user, t.state, meta(ctx));
    ctx.cookies.set(COOKIE, null, cookieOpts);
    render(ctx, deps.views, 'reset/done', { interaction: s.state.interaction, unlocked: true });
  });

  router.post('/cancel', posted, async (ctx) => {
    const s = await loadSession(deps, ctx.cookies.get(COOKIE));
    // Cancelling does not depend on the gates passed, so no policy is read for it.
    const t = s && (await transition(deps, s.id, factsOf(Number.POSITIVE_INFINITY), { type: 'cancel' }));
    if (s && t?.ok) await audit(deps, s.state.userId, 'reset.attempt', 'cancelled', meta(ctx));
    ctx.cookies.set(COOKIE, null, cookieOpts);
    const back = s?.state.interaction ? `/interaction/${s.state.interaction}` : '/';
    ctx.redirect(back);
  });

  /**
   * "Contact an administrator": queues the request and answers at once. Whether the user ID exists,
   * whether it already asked within the hour, and who is emailed (the helpdesk users, else the
   * administrators, or the address the policy names) is left to the notice worker, so a known and an
   * unknown user ID get the same page after the same work.
   */
  router.post('/contact', posted, async (ctx) => {
    const s = await loadSession(deps, ctx.cookies.get(COOKIE));
    if (!s) return render(ctx, deps.views, 'reset/expired', {}, 400);
    await deps.notices.helpdesk(s.state.login, meta(ctx));
    render(ctx, deps.views, 'reset/contacted', { interaction: s.state.interaction });
  });

  return router;
}

import Router from '@koa/router';
import type { Context } from 'koa';
import { checkPassword, verifySecondFactor } from '../../account/lockout.ts';
import { addableMethods, describeAll } from '../../account/security-info.ts';
import type { AppDeps } from '../../app/deps.ts';
import { AppError } from '../../http/errors.ts';
import { readPosted } from '../../http/form.ts';
import { applyUiLocales, render } from '../../http/views.ts';
import { credentialsFor } from '../../methods/registry.ts';
import type { VerificationMethod } from '../../methods/types.ts';
import { ACR_MFA, ACR_PASSWORD } from '../../oidc/acr.ts';
import { type HeldWrites, holdPayloadWrites, withInteractionAhead } from '../../oidc/adapter.ts';
import { PORTAL_CLIENT_ID } from '../../oidc/builtin-clients.ts';
import { ADMIN_SCOPE, adminScopeForUsers } from '../../oidc/clients.ts';
import { mfaRequested } from '../../oidc/provider.ts';
import type { Policy } from '../../policy/settings.ts';
import {
  gatesRequired,
  needsReconfirm,
  needsRegistration,
  resetGatesAvailable,
  secondStep,
} from '../../policy/sspr.ts';
import { recordAudit } from '../../store/audit.ts';
import { type Credential, listCredentials, listUserCredentials } from '../../store/credentials.ts';
import { groupNamesOf } from '../../store/groups.ts';
import { type InteractionRows, type InteractionWith, payloadWritesAlong } from '../../store/oidc.ts';
import type { RideAlong } from '../../store/together.ts';
import { findUserById, normalizeLogin, type User, userFromRow } from '../../store/users.ts';
import { builtinAppName } from '../app-names.ts';
import { flashFor, redirectWithFlash } from '../flash.ts';
import * as machine from './machine.ts';
import { registrationRoutes } from './registration-routes.ts';
import {
  clearSignIn,
  clearSignInAlong,
  loadSignInState,
  METHOD_KIND,
  type SignInState,
  saveSignInState,
  signInFlow,
  signInPageOf,
  signInPageReads,
} from './state.ts';

const UID = /^[A-Za-z0-9_-]{10,64}$/;

export type Details = Awaited<ReturnType<ReturnType<AppDeps['provider']>['interactionDetails']>>;

export function signInRoutes(deps: AppDeps): Router {
  const router = new Router();
  const { db, views } = deps;

  async function details(ctx: Context): Promise<Details> {
    return (await detailsWith(ctx)).d;
  }

  /**
   * The interaction, with what the page reads besides (`w`) in the same statement (issue 12); without
   * `w`, the provider reads the interaction alone.
   */
  async function detailsWith(
    ctx: Context,
    w?: InteractionWith,
  ): Promise<{ d: Details; rows?: InteractionRows }> {
    const uid = ctx.params.uid;
    if (!UID.test(uid)) throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    const read = () => deps.provider().interactionDetails(ctx.req, ctx.res);
    let d: Details;
    let rows: InteractionRows | undefined;
    try {
      if (w) ({ value: d, rows } = await withInteractionAhead(db, uid, w, read));
      else d = await read();
    } catch (err) {
      // A missing, expired or tampered interaction is the user's problem; anything else is ours.
      if ((err as Error).name === 'SessionNotFound') {
        throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
      }
      throw err;
    }
    if (d.uid !== uid) throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    applyUiLocales(ctx, d.params.ui_locales);
    return { d, rows };
  }

  const postedForm = (ctx: Context) => readPosted(ctx, deps.issuerOrigin);
  /** A failed post answers 303 to `path` of this interaction, which shows `data` once (post/redirect/get). */
  const failTo = (ctx: Context, d: Details, path: string, data: Record<string, unknown>, status: number) =>
    redirectWithFlash(ctx, deps, signInFlow(d.uid), `/interaction/${d.uid}${path}`, data, status);
  const flashOf = (ctx: Context, d: Details, waiting = true) =>
    flashFor(ctx, deps, signInFlow(d.uid), waiting);

  async function clientName(clientId: string | undefined, ctx?: Context) {
    const builtin = ctx ? builtinAppName(clientId, ctx.state.t, ctx.state.org ?? 'Tobira') : undefined;
    if (builtin) return builtin;
    const c = clientId ? await deps.clients.get(clientId) : undefined;
    return (c?.payload.client_name as string) || clientId || '';
  }

  /**
   * The provider's interactionResult on the interaction this request already read (the library's
   * own call would read it again): the result is saved with the interaction's remaining lifetime.
   */
  async function finish(ctx: Context, d: Details, result: Record<string, unknown>, merge = true) {
    d.result = merge && !('error' in result) ? { ...d.lastSubmission, ...result } : result;
    await d.persist();
    ctx.redirect(d.returnTo);
  }

  /** Ends the interaction with an OAuth error for the client; the sign-in's state goes with it. */
  async function refuse(ctx: Context, d: Details, error: string, description: string) {
    await clearSignIn(db, d.uid);
    await finish(ctx, d, { error, error_description: description }, false);
  }

  /**
   * A user's token carries the admin scope only for a first-party client an administrator granted it;
   * any other client asking for it on a user's behalf gets invalid_scope back, before any page is shown
   * (clients not granted it at all are already refused by the provider's scope allow-list).
   */
  async function refuseAdminScope(ctx: Context, d: Details): Promise<boolean> {
    const requested = String(d.params.scope ?? '').split(' ');
    if (!requested.includes(ADMIN_SCOPE)) return false;
    if (adminScopeForUsers(await deps.clients.get(d.params.client_id as string))) return false;
    await refuse(ctx, d, 'invalid_scope', 'the admin scope is not available to this client');
    return true;
  }

  /** First-party apps are trusted: grant what they asked for without showing a consent page. */
  async function grantConsent(ctx: Context, d: Details) {
    if (await refuseAdminScope(ctx, d)) return;
    const provider = deps.provider();
    const grant = d.grantId
      ? await provider.Grant.find(d.grantId)
      : new provider.Grant({ accountId: d.session?.accountId, clientId: d.params.client_id as string });
    if (!grant) throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    const missing = d.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, d, { consent: { grantId } });
  }

  const cxOf = async (ctx: Context) =>
    deps.methodContext(await deps.policy(), { ip: ctx.state.meta.ip, locale: ctx.state.locale });

  const signInOptions = (creds: Credential[]) => deps.methods.usable(creds, 'signIn');
  const resetKinds = (creds: Credential[]) => deps.methods.usable(creds, 'reset').map((o) => o.method.kind);

  /** Groups decide only the `selected` reset scope (policy/sspr.ts inResetScope): read only then. */
  async function subjectOf(user: User, policy: Policy) {
    return {
      roles: user.roles,
      groups: policy.resetScope === 'selected' ? await groupNamesOf(db, user.id) : [],
    };
  }

  /**
   * The user is identified; decide what comes next: a second factor, the wizard, reconfirmation or done.
   * `cleared`: the caller has just dropped what the interaction kept, so the end need not do it again.
   */
  async function proceed(ctx: Context, d: Details, user: User, state: SignInState, cleared = false) {
    return take(ctx, d, user, await nextStep(d, user, state), cleared);
  }

  /** What comes after `state` for this user (the policy, their methods; no write). */
  async function nextStep(d: Details, user: User, state: SignInState): Promise<machine.SignInDecision> {
    const policy = await deps.policy();
    const now = deps.clock.now();
    const creds = await listUserCredentials(db, user);
    return machine.decide(state, {
      secondStep: secondStep(
        policy,
        signInOptions(creds).map((o) => o.method.kind),
        mfaRequested(d.params),
        deps.methods.unavailableFor(creds, 'signIn'),
      ),
      mustChangePassword: user.mustChangePassword && user.passwordManaged === 'local',
      needsRegistration: needsRegistration(
        policy,
        await subjectOf(user, policy),
        resetKinds(creds),
        deps.methods.gateOf,
      ),
      needsReconfirm: creds.length > 0 && needsReconfirm(policy, user.securityInfoConfirmedAt, now),
    });
  }

  /** The interaction's result for a sign-in that is done. */
  const signedIn = (user: User, amr: string[]) => ({
    login: { accountId: user.id, amr, acr: amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD, remember: true },
  });

  /** Takes the step `next` decided (proceed): a refusal, the next stage, or the end of the sign-in. */
  async function take(ctx: Context, d: Details, user: User, next: machine.SignInDecision, cleared: boolean) {
    const now = deps.clock.now();
    if (next.type === 'refused') {
      await clearSignIn(db, d.uid);
      await recordAudit(db, {
        at: now,
        actorId: user.id,
        subjectId: user.id,
        activity: 'signin.second_factor',
        result: 'blocked',
        reason: 'second_factor_unavailable',
        ip: ctx.state.meta.ip,
        userAgent: ctx.state.meta.userAgent,
      });
      throw new AppError('signin.second_factor_unavailable', 503, 'error.second_factor_unavailable');
    }
    if (next.type === 'stage') {
      await saveSignInState(db, d.uid, next.state, now);
      return ctx.redirect(`/interaction/${d.uid}`);
    }
    if (!cleared) await clearSignIn(db, d.uid);
    await finish(ctx, d, signedIn(user, next.amr), false);
  }

  /** The interaction's sign-in state and its user; `known`: the state as the page already read it. */
  async function stateAndUser(
    d: Details,
    known?: { state: SignInState | undefined },
  ): Promise<{ state: SignInState; user: User } | undefined> {
    const state = known ? known.state : await loadSignInState(db, d.uid, deps.clock.now());
    if (!state) return undefined;
    const user = await findUserById(db, state.userId);
    if (user?.status !== 'active') return undefined;
    return { state, user };
  }

  /**
   * The interaction a form was posted to, with its state and user, when that state takes `event`;
   * anything else is a stale or skipped step (400).
   */
  async function atStep(ctx: Context, event: machine.SignInEvent['type']) {
    const d = await details(ctx);
    const su = await stateAndUser(d);
    if (!su || !machine.accepts(su.state, event))
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    return { d, su };
  }

  async function loginPage(ctx: Context, d: Details, extra: Record<string, unknown> = {}, status = 200) {
    const passkey = deps.passkeys
      ? await deps.passkeys.options(await cxOf(ctx), signInFlow(d.uid))
      : undefined;
    render(
      ctx,
      views,
      'signin/login',
      {
        uid: d.uid,
        here: `/interaction/${d.uid}`,
        clientName: await clientName(d.params.client_id as string, ctx),
        username: typeof d.params.login_hint === 'string' ? d.params.login_hint.slice(0, 256) : '',
        // A step-up (prompt=login from a signed-in app such as the portal) says why it asks again.
        stepUp:
          typeof d.params.login_hint === 'string' &&
          typeof d.params.prompt === 'string' &&
          d.params.prompt.split(' ').includes('login'),
        // Why: an app that needs a second factor (the console after first setup), or a recent sign-in.
        stepUpMessage:
          d.params.client_id !== PORTAL_CLIENT_ID && mfaRequested(d.params)
            ? ctx.state.t('signin.stepUpMfa', { client: await clientName(d.params.client_id as string, ctx) })
            : ctx.state.t('signin.stepUp'),
        passkey,
        ...extra,
      },
      status,
    );
  }

  /** The page of one method's step, with "Sign in another way" listing the others. */
  async function mfaPage(
    ctx: Context,
    d: Details,
    user: User,
    creds: Credential[],
    m: VerificationMethod,
    error?: string,
    status = 200,
    notice?: string,
  ) {
    const mine = credentialsFor(m, creds);
    const view = await m.challenge(await cxOf(ctx), user, mine, signInFlow(d.uid));
    const others = signInOptions(creds)
      .filter((o) => o.method.kind !== m.kind)
      .map((o) => ({ kind: o.method.kind, label: ctx.state.t(`method.${o.method.kind}` as never) }));
    render(
      ctx,
      views,
      'signin/mfa',
      {
        uid: d.uid,
        here: `/interaction/${d.uid}`,
        partial: view.partial,
        view: view.data,
        action: `/interaction/${d.uid}/mfa/${m.kind}`,
        methodName: ctx.state.t(`method.${m.kind}` as never),
        others,
        error,
        notice,
        login: user.login,
      },
      status,
    );
  }

  /**
   * Under `mfa: required` a user without a sign-in method must register one: the wizard then offers
   * only such methods and has no skip; it is left by registering one or by signing out.
   */
  const mustRegisterSecondFactor = (policy: Policy, creds: Credential[]) =>
    policy.mfa === 'required' && signInOptions(creds).length === 0;

  async function wizardPage(ctx: Context, d: Details, user: User, policy: Policy, status = 200) {
    // A refused "skip" comes back here with 403 (post/redirect/get): it says a method is required.
    const creds = await listCredentials(db, user.id);
    const mustRegister = mustRegisterSecondFactor(policy, creds);
    // How many independent methods (reset gates) the user needs, and how many are registered.
    const subject = await subjectOf(user, policy);
    const needed = gatesRequired(policy, subject);
    const have = Math.min(
      needed,
      resetGatesAvailable(policy, subject, resetKinds(creds), deps.methods.gateOf).length,
    );
    render(
      ctx,
      views,
      'signin/register',
      {
        progress: { needed, have },
        uid: d.uid,
        here: `/interaction/${d.uid}`,
        registered: describeAll(deps, creds, ctx.state.t),
        addable: addableMethods(deps, policy, user, creds)
          .filter((m) => !mustRegister || m.usableFor.signIn)
          .map((m) => ({
            kind: m.kind,
            label: ctx.state.t(`method.${m.kind}` as never),
          })),
        mustRegister,
        error: status === 200 ? undefined : ctx.state.t('signin.register.secondFactorRequired'),
      },
      status,
    );
  }

  router.get('/interaction/:uid', async (ctx) => {
    // The interaction, its sign-in state and what a failed post left here, in one read.
    const { d, rows } = await detailsWith(ctx, {
      challenges: signInPageReads(ctx.params.uid, ctx.path, deps.clock.now()),
    });
    if (await refuseAdminScope(ctx, d)) return;
    const clientId = d.params.client_id as string;
    if (d.prompt.name === 'login') {
      const page = signInPageOf(rows?.challenges ?? []);
      const su = await stateAndUser(d, page);
      const f = await flashOf(ctx, d, page.flashWaiting);
      if (!su && f?.data.locked) {
        const locked = f.data.locked as { minutes: number; login: string };
        return render(
          ctx,
          views,
          'signin/locked',
          { uid: d.uid, here: `/interaction/${d.uid}`, minutes: locked.minutes, login: locked.login },
          f.status,
        );
      }
      if (!su) return loginPage(ctx, d, f?.data, f?.status);
      const { state, user } = su;
      if (state.stage === 'mfa') {
        const options = signInOptions(await listCredentials(db, user.id));
        const pick = options.find((o) => o.credentials.some((c) => c.isDefault)) ?? options[0];
        if (!pick) return proceed(ctx, d, user, machine.apply(state, { type: 'noSecondFactor' })!);
        return ctx.redirect(`/interaction/${d.uid}/mfa/${pick.method.kind}`);
      }
      if (state.stage === 'register') return wizardPage(ctx, d, user, await deps.policy(), f?.status);
      if (state.stage === 'change-password') {
        return render(
          ctx,
          views,
          'signin/change-password',
          { uid: d.uid, here: `/interaction/${d.uid}`, reasons: f?.data.reasons ?? [] },
          f?.status,
        );
      }
      const creds = await listCredentials(db, user.id);
      return render(ctx, views, 'signin/reconfirm', {
        uid: d.uid,
        here: `/interaction/${d.uid}`,
        registered: describeAll(deps, creds, ctx.state.t),
      });
    }
    if (d.prompt.name === 'consent') {
      const client = await deps.clients.get(clientId);
      if (client?.firstParty) return grantConsent(ctx, d);
      const t = ctx.state.t;
      const scopes = String(d.params.scope ?? '')
        .split(' ')
        // The admin scope is never offered on a consent page (it was refused above).
        .filter((s) => s && s !== ADMIN_SCOPE)
        .map((s) =>
          ['openid', 'profile', 'email', 'offline_access'].includes(s)
            ? t(`consent.scope.${s}` as never)
            : t('consent.scope.other', { scope: s }),
        );
      return render(ctx, views, 'signin/consent', {
        uid: d.uid,
        clientName: await clientName(clientId, ctx),
        scopes,
      });
    }
    throw new AppError('interaction.unknown_prompt', 400, 'error.interaction_expired');
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const form = await postedForm(ctx);
    const username = (form.username ?? '').slice(0, 256);
    const password = (form.password ?? '').slice(0, 1024);
    const complete = !!username.trim() && !!password;
    // The interaction and the user the form names, in one read.
    const { d, rows } = await detailsWith(
      ctx,
      complete ? { userLogin: normalizeLogin(username) } : undefined,
    );
    if (d.prompt.name !== 'login')
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    if (!complete) {
      return failTo(ctx, d, '', { username, error: ctx.state.t('signin.missing') }, 400);
    }
    // What the interaction kept goes with the success's own statement when it can, and so does the
    // interaction's result when the password is all this sign-in takes (issue 12): one statement.
    const known = rows?.user && { user: rows.user.row && userFromRow(rows.user.row) };
    let next: machine.SignInDecision | undefined;
    let held: HeldWrites | undefined;
    const along = async (user: User): Promise<RideAlong[]> => {
      next = await nextStep(d, user, machine.apply(undefined, { type: 'password', userId: user.id })!);
      if (next.type !== 'done') return [clearSignInAlong(d.uid)];
      const result = signedIn(user, next.amr);
      const h = await holdPayloadWrites(db, async () => {
        d.result = result;
        await d.persist();
      });
      const writes = payloadWritesAlong(h.ops);
      // Nothing is written before the success stands: what cannot ride along is saved by take().
      if (!writes) return [clearSignInAlong(d.uid)];
      held = h;
      return [clearSignInAlong(d.uid), ...writes];
    };
    const result = await checkPassword(deps, username, password, ctx.state.meta, along, known);
    deps.metrics.signIns.inc({
      result: result.ok ? 'succeeded' : result.reason === 'locked' ? 'locked' : 'failed',
    });
    if (!result.ok) {
      if (result.reason === 'locked') {
        const minutes = Math.max(
          1,
          Math.ceil((result.until.getTime() - deps.clock.now().getTime()) / 60_000),
        );
        return failTo(ctx, d, '', { locked: { minutes, login: username.trim() } }, 429);
      }
      return failTo(ctx, d, '', { username, error: ctx.state.t('signin.invalid') }, 401);
    }
    if (!result.alongWritten) await clearSignIn(db, d.uid);
    if (held) {
      // The result was decided with the success: saved with it, or now.
      if (!result.alongWritten) await held.send();
      return ctx.redirect(d.returnTo);
    }
    const state = machine.apply(undefined, { type: 'password', userId: result.user.id })!;
    await take(ctx, d, result.user, next ?? (await nextStep(d, result.user, state)), true);
  });

  router.get('/interaction/:uid/mfa/:kind', async (ctx) => {
    const d = await details(ctx);
    const su = await stateAndUser(d);
    if (!su || !machine.accepts(su.state, 'secondFactor')) return ctx.redirect(`/interaction/${d.uid}`);
    const m = METHOD_KIND.test(ctx.params.kind) ? deps.methods.get(ctx.params.kind) : undefined;
    const creds = await listCredentials(db, su.user.id);
    if (!m?.usableFor.signIn || !credentialsFor(m, creds).length) {
      throw new AppError('signin.method_unavailable', 404, 'signin.methodUnavailable');
    }
    const f = await flashOf(ctx, d);
    await mfaPage(
      ctx,
      d,
      su.user,
      creds,
      m,
      f?.data.error as string | undefined,
      f?.status,
      f?.data.notice as string | undefined,
    );
  });

  router.post('/interaction/:uid/mfa/:kind', async (ctx) => {
    const form = await postedForm(ctx);
    const { d, su } = await atStep(ctx, 'secondFactor');
    const m = METHOD_KIND.test(ctx.params.kind) ? deps.methods.get(ctx.params.kind) : undefined;
    const creds = await listCredentials(db, su.user.id);
    const mine = m ? credentialsFor(m, creds) : [];
    if (!m?.usableFor.signIn || !mine.length) {
      throw new AppError('signin.method_unavailable', 404, 'signin.methodUnavailable');
    }
    const cx = await cxOf(ctx);
    const r = await verifySecondFactor(
      deps,
      su.user,
      m.kind,
      () => m.verify(cx, su.user, mine, signInFlow(d.uid), form),
      ctx.state.meta,
    );
    const here = `/mfa/${m.kind}`;
    if (!r.ok && 'locked' in r) {
      return failTo(ctx, d, here, { error: ctx.state.t('signin.secondFactorLocked') }, 429);
    }
    if (!r.ok && r.step) {
      return failTo(ctx, d, here, { notice: ctx.state.t(r.error, r.params) }, 200);
    }
    if (!r.ok) {
      return failTo(ctx, d, here, { error: ctx.state.t(r.error, r.params) }, r.exhausted ? 429 : 400);
    }
    await proceed(ctx, d, su.user, machine.apply(su.state, { type: 'secondFactor', amr: r.amr })!);
  });

  router.post('/interaction/:uid/passkey', async (ctx) => {
    const form = await postedForm(ctx);
    const d = await details(ctx);
    if (d.prompt.name !== 'login' || !deps.passkeys) {
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    }
    const r = await deps.passkeys.verify(await cxOf(ctx), signInFlow(d.uid), form);
    const user = r.ok ? await findUserById(db, r.userId) : undefined;
    const ok = r.ok && user?.status === 'active';
    await recordAudit(db, {
      at: deps.clock.now(),
      actorId: user?.id ?? null,
      subjectId: user?.id ?? null,
      activity: 'signin.passkey',
      result: ok ? 'succeeded' : 'failed',
      reason: ok ? null : r.ok ? 'disabled' : r.error,
      ip: ctx.state.meta.ip,
      userAgent: ctx.state.meta.userAgent,
    });
    deps.metrics.signIns.inc({ result: ok ? 'succeeded' : 'failed' });
    if (!ok || !r.ok || !user) {
      return failTo(ctx, d, '', { error: ctx.state.t(r.ok ? 'signin.passkeyFailed' : r.error) }, 401);
    }
    await clearSignIn(db, d.uid);
    await proceed(
      ctx,
      d,
      user,
      machine.apply(undefined, { type: 'passkey', userId: user.id, amr: r.amr })!,
      true,
    );
  });

  // Registration at sign-in, a forced new password and reconfirmation: registration-routes.ts.
  registrationRoutes(router, deps, {
    details,
    stateAndUser,
    atStep,
    flashOf,
    cxOf,
    postedForm,
    failTo,
    subjectOf,
    resetKinds,
    proceed,
    mustRegisterSecondFactor,
  });

  router.post('/interaction/:uid/confirm', async (ctx) => {
    await postedForm(ctx);
    const d = await details(ctx);
    if (d.prompt.name !== 'consent')
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    await grantConsent(ctx, d);
  });

  router.get('/interaction/:uid/abort', async (ctx) => {
    const d = await details(ctx);
    await refuse(ctx, d, 'access_denied', 'End-User aborted interaction');
  });

  return router;
}

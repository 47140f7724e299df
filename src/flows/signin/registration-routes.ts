import type Router from '@koa/router';
import type { Context } from 'koa';
import { setNewPassword } from '../../account/password.ts';
import { beginEnroll, confirmSecurityInfo, finishEnroll } from '../../account/security-info.ts';
import type { AppDeps } from '../../app/deps.ts';
import { render } from '../../http/views.ts';
import type { MethodContext } from '../../methods/types.ts';
import type { Policy } from '../../policy/settings.ts';
import { needsRegistration } from '../../policy/sspr.ts';
import { recordAudit } from '../../store/audit.ts';
import { type Credential, listCredentials } from '../../store/credentials.ts';
import { findUserById, type User } from '../../store/users.ts';
import type { flashFor } from '../flash.ts';
import * as machine from './machine.ts';
import type { Details } from './routes.ts';
import { METHOD_KIND, type SignInState, signInFlow } from './state.ts';

/** What the registration routes borrow from the sign-in routes (routes.ts builds it). */
export interface SignInKit {
  details(ctx: Context): Promise<Details>;
  stateAndUser(d: Details): Promise<{ state: SignInState; user: User } | undefined>;
  /** The interaction of a posted step and its state and user, when the state takes `event` (else 400). */
  atStep(
    ctx: Context,
    event: machine.SignInEvent['type'],
  ): Promise<{ d: Details; su: { state: SignInState; user: User } }>;
  flashOf(ctx: Context, d: Details): ReturnType<typeof flashFor>;
  cxOf(ctx: Context): Promise<MethodContext>;
  postedForm(ctx: Context): Promise<Record<string, string>>;
  failTo(
    ctx: Context,
    d: Details,
    path: string,
    data: Record<string, unknown>,
    status: number,
  ): Promise<void>;
  subjectOf(user: User, policy: Policy): Promise<{ roles: string[]; groups: string[] }>;
  resetKinds(creds: Credential[]): string[];
  proceed(ctx: Context, d: Details, user: User, state: SignInState, cleared?: boolean): Promise<void>;
  mustRegisterSecondFactor(policy: Policy, creds: Credential[]): boolean;
}

/**
 * The sign-in's side steps before it completes: registering security info ("More information
 * required"), skipping it where the policy allows, a new password an administrator required, and
 * reconfirming security info. Each step is taken only in the stage the machine says accepts it.
 */
export function registrationRoutes(router: Router, deps: AppDeps, kit: SignInKit): void {
  const { db, views } = deps;
  const { details, stateAndUser, atStep, flashOf, cxOf, postedForm, failTo, subjectOf, resetKinds, proceed } =
    kit;
  const { mustRegisterSecondFactor } = kit;

  // Registration at sign-in ("More information required").
  router.get('/interaction/:uid/register/:kind', async (ctx) => {
    const d = await details(ctx);
    const su = await stateAndUser(d);
    if (!su || !machine.accepts(su.state, 'registered')) return ctx.redirect(`/interaction/${d.uid}`);
    const kind = METHOD_KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const f = await flashOf(ctx, d);
    const view = await beginEnroll(deps, await cxOf(ctx), su.user, kind, signInFlow(d.uid));
    render(
      ctx,
      views,
      'signin/register-method',
      {
        uid: d.uid,
        here: `/interaction/${d.uid}`,
        partial: view.partial,
        view: view.data,
        action: `/interaction/${d.uid}/register/${kind}`,
        methodName: ctx.state.t(`method.${kind}` as never),
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/interaction/:uid/register/:kind', async (ctx) => {
    const form = await postedForm(ctx);
    const { d, su } = await atStep(ctx, 'registered');
    const cx = await cxOf(ctx);
    const policy = cx.policy;
    const kind = METHOD_KIND.test(ctx.params.kind) ? ctx.params.kind : '';
    const r = await finishEnroll(deps, cx, su.user, kind, signInFlow(d.uid), form, ctx.state.meta);
    if (!r.ok) {
      const message = ctx.state.t(r.error.messageKey, r.error.params);
      return failTo(
        ctx,
        d,
        `/register/${kind}`,
        r.step ? { notice: message } : { error: message },
        r.error.status,
      );
    }
    const creds = await listCredentials(db, su.user.id);
    if (
      mustRegisterSecondFactor(policy, creds) ||
      needsRegistration(policy, await subjectOf(su.user, policy), resetKinds(creds), deps.methods.gateOf)
    ) {
      return ctx.redirect(`/interaction/${d.uid}`);
    }
    await proceed(ctx, d, su.user, machine.apply(su.state, { type: 'registered' })!);
  });

  router.post('/interaction/:uid/register-skip', async (ctx) => {
    await postedForm(ctx);
    const { d, su } = await atStep(ctx, 'registrationSkipped');
    const policy = await deps.policy();
    if (mustRegisterSecondFactor(policy, await listCredentials(db, su.user.id))) {
      // No skip under `mfa: required`: skipping would finish a password-only sign-in.
      await recordAudit(db, {
        at: deps.clock.now(),
        actorId: su.user.id,
        subjectId: su.user.id,
        activity: 'security_info.registration_prompt',
        result: 'blocked',
        reason: 'second_factor_required',
        ip: ctx.state.meta.ip,
        userAgent: ctx.state.meta.userAgent,
      });
      return failTo(ctx, d, '', {}, 403);
    }
    await recordAudit(db, {
      at: deps.clock.now(),
      actorId: su.user.id,
      subjectId: su.user.id,
      activity: 'security_info.registration_prompt',
      result: 'cancelled',
      ip: ctx.state.meta.ip,
      userAgent: ctx.state.meta.userAgent,
    });
    await proceed(ctx, d, su.user, machine.apply(su.state, { type: 'registrationSkipped' })!);
  });

  router.post('/interaction/:uid/change-password', async (ctx) => {
    const form = await postedForm(ctx);
    const { d, su } = await atStep(ctx, 'passwordChanged');
    const r = await setNewPassword(
      deps,
      su.user,
      form.password ?? '',
      form.confirm ?? '',
      ctx.state.meta,
      'password.change_required',
    );
    if (!r.ok) {
      return failTo(ctx, d, '', { reasons: r.reasons.map((x) => ctx.state.t(x.key, x.params)) }, 400);
    }
    const user = (await findUserById(db, su.user.id))!;
    await proceed(ctx, d, user, machine.apply(su.state, { type: 'passwordChanged' })!);
  });

  router.post('/interaction/:uid/reconfirm', async (ctx) => {
    await postedForm(ctx);
    const { d, su } = await atStep(ctx, 'reconfirmed');
    await confirmSecurityInfo(deps, su.user, ctx.state.meta);
    const user = (await findUserById(db, su.user.id))!;
    await proceed(ctx, d, user, machine.apply(su.state, { type: 'reconfirmed' })!);
  });
}

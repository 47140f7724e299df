import Router from '@koa/router';
import type { Context } from 'koa';
import { usableInvitation } from '../../account/invitations.ts';
import { setNewPassword } from '../../account/password.ts';
import type { AppDeps } from '../../app/deps.ts';
import { readForm } from '../../http/body.ts';
import { verifyCsrf } from '../../http/csrf.ts';
import { render } from '../../http/views.ts';
import { recordAudit } from '../../store/audit.ts';
import { claimInvitation, releaseInvitation } from '../../store/invitations.ts';
import { findUserById, type User } from '../../store/users.ts';
import { flashFor, redirectWithFlash } from '../flash.ts';

/**
 * The invitation link: `/invite?token=…` (in the query, which the access log never writes). Opening
 * it only shows the form, so mail scanners that fetch links do not use it up; setting the password
 * takes the invitation for its one use, atomically. Then the user signs in and, as registration
 * requires, registers their security info.
 */
export function inviteRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/invite' });

  async function load(token: unknown): Promise<{ user: User; id: string } | undefined> {
    if (typeof token !== 'string') return undefined;
    const inv = await usableInvitation(deps, token);
    if (!inv) return undefined;
    const user = await findUserById(deps.db, inv.userId);
    // The account may have changed since: disabled, or a password set another way.
    if (user?.status !== 'active' || user.passwordManaged !== 'local' || user.passwordHash) return undefined;
    return { user, id: inv.id };
  }

  const invalid = async (ctx: Context, reason: string) => {
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      activity: 'invite.accept',
      result: 'failed',
      reason,
      ip: ctx.state.meta.ip,
      userAgent: ctx.state.meta.userAgent,
    });
    render(ctx, deps.views, 'invite/invalid', {}, 410);
  };

  const flowOf = (invitationId: string) => `invite:${invitationId}`;

  const formPage = (ctx: Context, user: User, token: string, reasons: string[] = [], status = 200) => {
    // The site-wide Referrer-Policy (same-origin) keeps the link's token from other sites; no-referrer
    // here made Chromium send "Origin: null" with the form, which the CSRF check refused (403).
    render(
      ctx,
      deps.views,
      'invite/password',
      { token, login: user.login, name: user.displayName || user.login, reasons },
      status,
    );
  };

  router.get('/', async (ctx) => {
    const found = await load(ctx.query.token);
    if (!found) return invalid(ctx, 'link not usable');
    // A refused password left its reasons here, once (post/redirect/get, under the invitation).
    const f = await flashFor(ctx, deps, flowOf(found.id));
    const reasons = Array.isArray(f?.data.reasons) ? f.data.reasons.map(String) : [];
    formPage(ctx, found.user, String(ctx.query.token), reasons, f?.status);
  });

  router.post('/', async (ctx) => {
    const f = await readForm(ctx);
    verifyCsrf(ctx, f, deps.issuerOrigin);
    const token = typeof f.token === 'string' ? f.token : '';
    const found = await load(token);
    if (!found) return invalid(ctx, 'link not usable');
    const now = deps.clock.now();
    // The one use is taken first: of two posts with the same link, only one sets a password.
    if (!(await claimInvitation(deps.db, found.id, now))) return invalid(ctx, 'link not usable');
    const meta = ctx.state.meta;
    const r = await setNewPassword(
      deps,
      found.user,
      String(f.password ?? ''),
      String(f.confirm ?? ''),
      meta,
      'invite.accept',
    );
    if (!r.ok) {
      await releaseInvitation(deps.db, found.id, now);
      // Back to the link's own page (the address the email gave), which says why once.
      return redirectWithFlash(
        ctx,
        deps,
        flowOf(found.id),
        '/invite',
        { reasons: r.reasons.map((x) => ctx.state.t(x.key, x.params)) },
        400,
        `?token=${encodeURIComponent(token)}`,
      );
    }
    await deps.notices.passwordReset(found.user, meta, true);
    render(ctx, deps.views, 'invite/done', {});
  });

  return router;
}

import Router from '@koa/router';
import type { AppDeps } from '../../app.ts';
import { readForm } from '../../http/body.ts';
import { verifyCsrf } from '../../http/csrf.ts';
import { AppError } from '../../http/errors.ts';
import { render } from '../../http/views.ts';
import type { InternalClient } from '../../oidc/internal-client.ts';

export const DEMO_CLIENT_ID = 'tobira-demo';
const STATE_COOKIE = 'tobira.demo.state';
const SESSION_COOKIE = 'tobira.demo.session';

/** The development-mode demo app: a relying party that signs in through this provider and shows the claims. */
export function demoRoutes(deps: AppDeps, rp: InternalClient): Router {
  const router = new Router({ prefix: '/demo' });
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: deps.secureCookies, path: '/demo' };

  router.get('/', async (ctx) => {
    let session: { claims: Record<string, unknown>; idToken: string } | undefined;
    const sealed = ctx.cookies.get(SESSION_COOKIE);
    if (sealed) {
      try {
        session = JSON.parse(deps.box.decryptString('demo-session', sealed));
      } catch {
        ctx.cookies.set(SESSION_COOKIE, null, cookie);
      }
    }
    render(ctx, deps.views, 'demo/index', { claims: session?.claims });
  });

  router.get('/login', async (ctx) => {
    // Ask for the profile claims in the ID token itself, so the demo shows them without a userinfo call.
    const { url, sealed } = rp.begin('/demo', {
      ui_locales: ctx.state.locale,
      claims: JSON.stringify({ id_token: { name: null, preferred_username: null, email: null } }),
    });
    ctx.cookies.set(STATE_COOKIE, sealed, { ...cookie, maxAge: 600_000 });
    ctx.redirect(url);
  });

  router.get('/callback', async (ctx) => {
    const st = rp.openState(ctx.cookies.get(STATE_COOKIE));
    if (!st) throw new AppError('demo.state', 400, 'error.interaction_expired');
    ctx.cookies.set(STATE_COOKIE, null, cookie);
    if (typeof ctx.query.error === 'string') {
      ctx.redirect('/demo');
      return;
    }
    const q = ctx.query as Record<string, string>;
    let result: Awaited<ReturnType<InternalClient['finish']>>;
    try {
      result = await rp.finish(st, { code: q.code, state: q.state, iss: q.iss });
    } catch {
      throw new AppError('demo.callback', 400, 'error.interaction_expired');
    }
    ctx.cookies.set(
      SESSION_COOKIE,
      deps.box.encrypt('demo-session', JSON.stringify({ claims: result.claims, idToken: result.idToken })),
      cookie,
    );
    ctx.redirect('/demo');
  });

  router.post('/logout', async (ctx) => {
    const form = await readForm(ctx);
    verifyCsrf(ctx, form, deps.issuerOrigin);
    const sealed = ctx.cookies.get(SESSION_COOKIE);
    ctx.cookies.set(SESSION_COOKIE, null, cookie);
    let idToken: string | undefined;
    try {
      idToken = sealed ? JSON.parse(deps.box.decryptString('demo-session', sealed)).idToken : undefined;
    } catch {
      idToken = undefined;
    }
    ctx.redirect(idToken ? rp.logoutUrl(idToken, `${deps.config.issuer}/demo`) : '/demo');
  });

  return router;
}

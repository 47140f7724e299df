import Router from '@koa/router';
import type { AppDeps } from '../../app/deps.ts';
import { readPosted } from '../../http/form.ts';
import { render } from '../../http/views.ts';
import type { InternalClient } from '../../oidc/internal-client.ts';
import { FirstPartySessions, idTokenClaims } from '../first-party-session.ts';

export { DEMO_CLIENT_ID } from '../../oidc/builtin-clients.ts';

const STATE_COOKIE = 'tobira.demo.state';
const SESSION_COOKIE = 'tobira.demo.session';
/** The demo keeps its session as long as the portal does. */
const SESSION_MS = 8 * 3600_000;

/** The development-mode demo app: a relying party that signs in through this provider and shows the claims. */
export function demoRoutes(deps: AppDeps, rp: InternalClient): Router {
  const router = new Router({ prefix: '/demo' });
  const sessions = new FirstPartySessions(deps, {
    rp,
    name: 'demo',
    cookie: SESSION_COOKIE,
    stateCookie: STATE_COOKIE,
    path: '/demo',
    ttlMs: SESSION_MS,
    home: '/demo',
    returnAllowed: (p) => p === '/demo',
    expiredKey: 'portal.sessionExpired',
  });

  router.get('/', async (ctx) => {
    const s = await sessions.current(ctx);
    render(ctx, deps.views, 'demo/index', { claims: s ? idTokenClaims(s.session) : undefined });
  });

  router.get('/login', async (ctx) => {
    // Ask for the profile claims in the ID token itself, so the demo shows them without a userinfo call.
    sessions.signIn(ctx, {
      returnTo: '/demo',
      extra: { claims: JSON.stringify({ id_token: { name: null, preferred_username: null, email: null } }) },
    });
  });

  router.get('/callback', (ctx) => sessions.callback(ctx, { onCancel: (c) => c.redirect('/demo') }));

  router.post('/logout', async (ctx) => {
    await readPosted(ctx, deps.issuerOrigin);
    await sessions.signOut(ctx, `${deps.config.issuer}/demo`, '/demo');
  });

  return router;
}

import type crypto from 'node:crypto';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { AppError } from '../../http/errors.ts';
import { posted as postedForm } from '../../http/form.ts';
import { render } from '../../http/views.ts';
import { activityLabel } from '../../i18n/activity.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { ensureBuiltinClient } from '../../oidc/clients.ts';
import { InternalClient } from '../../oidc/internal-client.ts';
import { policyFromSettings } from '../../policy/settings.ts';
import { listCredentials } from '../../store/credentials.ts';
import { countUsersByStatus } from '../../store/directory.ts';
import type { User } from '../../store/users.ts';
import { FirstPartySessions } from '../first-party-session.ts';
import { flashFor, redirectWithFlash } from '../flash.ts';
import { apisConsole } from './apis/console.ts';
import { auditConsole } from './audit/console.ts';
import { clientsConsole } from './clients/console.ts';
import { type ConsoleKit, fmt, type Section } from './console-kit.ts';
import { groupsConsole } from './groups/console.ts';
import { listQueuedNotices } from './notices.ts';
import { type Actor, can, type Permission, permissionsForRoles } from './permissions.ts';

import { policyConsole } from './policy/console.ts';
import { policyFields } from './policy-form.ts';
import { reportsConsole } from './reports/console.ts';
import { cachedReport, type ReportData } from './reports.ts';
import * as svc from './service.ts';
import { usersConsole } from './users/console.ts';
import { FieldError, translateFields } from './validation.ts';

const SESSION_COOKIE = 'tobira.admin';
const STATE_COOKIE = 'tobira.admin.state';
/** Administrators sign in again after two hours. */
const SESSION_MS = 2 * 3600_000;
const REDIRECT_PATH = '/admin/callback';

interface ConsoleState {
  user: User;
  actor: Actor;
  /** The console session's id hash: the key of its post/redirect/get flashes. */
  idHash: string;
}

declare module 'koa' {
  interface DefaultState {
    /** The console's signed-in user and actor (set by its session middleware, under /admin). */
    console: ConsoleState;
  }
}

const NAV: Array<{ section: Section; href: string; label: MessageKey; permission: Permission | null }> = [
  { section: 'dashboard', href: '/admin/', label: 'admin.nav.dashboard', permission: null },
  { section: 'users', href: '/admin/users', label: 'admin.nav.users', permission: 'users.read' },
  { section: 'groups', href: '/admin/groups', label: 'admin.nav.groups', permission: 'groups.read' },
  { section: 'clients', href: '/admin/clients', label: 'admin.nav.clients', permission: 'clients.read' },
  { section: 'apis', href: '/admin/apis', label: 'admin.nav.apis', permission: 'clients.read' },
  { section: 'policy', href: '/admin/policy', label: 'admin.nav.policy', permission: 'policy.read' },
  { section: 'audit', href: '/admin/audit', label: 'admin.nav.audit', permission: 'audit.read' },
  { section: 'reports', href: '/admin/reports', label: 'admin.nav.reports', permission: 'reports.read' },
  { section: 'contacts', href: '/admin/contacts', label: 'admin.nav.contacts', permission: 'contacts.read' },
  { section: 'notices', href: '/admin/notices', label: 'admin.nav.notices', permission: 'audit.read' },
];

/** The public half of the provider's signing keys (the internal client verifies ID tokens with them). */
function publicJwks(deps: AppDeps): crypto.JsonWebKey[] {
  return deps.keySet().jwks.keys.map((k) => {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k as Record<string, string>;
    return pub as crypto.JsonWebKey;
  });
}

/** Registers the console's own first-party client and returns the relying party for it. */
export async function adminRelyingParty(deps: AppDeps): Promise<InternalClient> {
  const secret = await ensureBuiltinClient(
    deps.db,
    deps.box,
    {
      clientId: svc.ADMIN_CLIENT_ID,
      name: 'Tobira administration',
      redirectUris: [`${deps.config.issuer}${REDIRECT_PATH}`],
      postLogoutRedirectUris: [`${deps.config.issuer}/`],
      grantTypes: ['authorization_code'],
      firstParty: true,
    },
    deps.clock.now(),
  );
  deps.clients.invalidate(svc.ADMIN_CLIENT_ID);
  return new InternalClient({
    clientId: svc.ADMIN_CLIENT_ID,
    clientSecret: secret,
    issuer: deps.config.issuer,
    redirectPath: REDIRECT_PATH,
    box: deps.box,
    localUrl: deps.localUrl,
    jwks: () => publicJwks(deps),
  });
}

/**
 * The administration console (/admin/): a first-party client of this provider like the portal. Only
 * administrators and helpdesk users who signed in with a second factor get in; every form carries a
 * CSRF token; every change goes through the same service as the API and the CLI.
 */
export async function adminConsoleRoutes(deps: AppDeps): Promise<Router> {
  const rp = await adminRelyingParty(deps);
  const adminDeps: svc.AdminDeps = deps;
  const router = new Router({ prefix: '/admin' });

  const sessions = new FirstPartySessions(deps, {
    rp,
    name: 'admin',
    cookie: SESSION_COOKIE,
    stateCookie: STATE_COOKIE,
    path: '/admin',
    ttlMs: SESSION_MS,
    home: '/admin/',
    returnAllowed: (p) => p.startsWith('/admin/') || p === '/admin',
    expiredKey: 'admin.sessionExpired',
  });

  function page(
    ctx: Context,
    template: string,
    section: Section,
    data: Record<string, unknown> = {},
    status = 200,
  ) {
    const st = ctx.state.console;
    const t = ctx.state.t;
    render(
      ctx,
      deps.views,
      `admin/${template}`,
      {
        wide: true,
        nav: NAV.filter((n) => !n.permission || can(st.actor, n.permission)).map((n) => ({
          href: n.href,
          label: t(n.label),
          current: n.section === section,
        })),
        who: t('admin.signedInAs', {
          login: st.user.login,
          role: t(st.user.roles.includes('admin') ? 'admin.role.admin' : 'admin.role.helpdesk'),
        }),
        can: Object.fromEntries([...st.actor.permissions].map((p) => [p, true])),
        errors: {},
        fmt,
        activityName: (code: string) => activityLabel(t, code),
        ...data,
      },
      status,
    );
  }

  /** Loads the administrator, or sends the browser through sign-in (with a second factor). */
  async function requireAdmin(ctx: Context, next: Next) {
    const current = await sessions.require(ctx);
    if (!current) return;
    const { session: s, user } = current;
    const permissions = permissionsForRoles(user.roles);
    if (!permissions.size) {
      return render(ctx, deps.views, 'admin/denied', {}, 403);
    }
    if (!s.amr.includes('mfa')) {
      // Administrators work only after a sign-in with a second factor: step up, or ask to register one.
      const hasSecondFactor =
        deps.methods.usable(await listCredentials(deps.db, user.id), 'signIn').length > 0;
      if (!hasSecondFactor) return render(ctx, deps.views, 'admin/mfa', {}, 403);
      if (ctx.method !== 'GET') throw new AppError('admin.session', 401, 'admin.sessionExpired');
      // The administrator who just set up their methods (or signed in with a password only) signs in
      // again with one: their user ID is filled in and the page says why (never an empty form).
      return sessions.signIn(ctx, { stepUp: true, mfa: true, extra: { login_hint: user.login } });
    }
    ctx.state.console = {
      user,
      idHash: s.idHash,
      actor: {
        id: user.id,
        kind: 'user',
        label: user.login,
        permissions,
        via: 'console',
        ip: ctx.state.meta.ip,
        userAgent: ctx.state.meta.userAgent,
      },
    } satisfies ConsoleState;
    await next();
  }

  const need = (p: Permission) => async (ctx: Context, next: Next) => {
    if (!can(actorOf(ctx), p)) throw new AppError('forbidden', 403, 'admin.error.forbidden');
    await next();
  };

  /** The console's textareas: one value per line, so only these may hold line breaks. */
  const multiline = new Set([
    'redirectUris',
    'postLogoutRedirectUris',
    'corsOrigins',
    ...policyFields([], policyFromSettings({}))
      .filter((f) => f.kind === 'list')
      .map((f) => f.key),
  ]);

  const posted = postedForm(deps.issuerOrigin, { multiline });
  const form = (ctx: Context) => ctx.state.form;
  const actorOf = (ctx: Context) => ctx.state.console.actor;
  const fieldsOf = (ctx: Context, err: FieldError) => translateFields(err.fields, ctx.state.t);
  const done = (q: unknown) => (typeof q === 'string' && /^[a-z_]{1,30}$/.test(q) ? q : undefined);

  // ------------------------------------------------------------ session

  router.get('/callback', (ctx) => sessions.callback(ctx));

  /** Sign in again (after registering a second factor); the console steps up from there when needed. */
  router.get('/signin', async (ctx) => {
    await sessions.forget(ctx);
    sessions.signIn(ctx, { returnTo: '/admin/', extra: { prompt: 'login' } });
  });

  router.post('/signout', posted, (ctx) => sessions.signOut(ctx, `${deps.config.issuer}/`, '/'));

  // ------------------------------------------------------------ dashboard

  router.get('/', requireAdmin, async (ctx) => {
    const actor = actorOf(ctx);
    let report: ReportData | undefined;
    let recent: svc.AuditView[] = [];
    if (can(actor, 'reports.read')) report = await cachedReport(deps);
    if (can(actor, 'audit.read'))
      recent = (await svc.listAuditEvents(adminDeps, actor, { activity: 'admin.*', limit: 10 })).events;
    const by = await countUsersByStatus(deps.db);
    page(ctx, 'dashboard', 'dashboard', {
      tiles: [
        {
          label: ctx.state.t('admin.dashboard.users'),
          n: by.active ?? 0,
          href: '/admin/users?status=active',
        },
        {
          label: ctx.state.t('admin.dashboard.disabled'),
          n: by.disabled ?? 0,
          href: '/admin/users?status=disabled',
        },
        ...(report
          ? [
              {
                label: ctx.state.t('admin.dashboard.registered'),
                n: report.registration.registered,
                href: '/admin/reports',
              },
              {
                label: ctx.state.t('admin.dashboard.capable'),
                n: report.registration.capable,
                href: '/admin/reports',
              },
              {
                label: ctx.state.t('admin.dashboard.resets'),
                n: report.resetsPerDay.reduce((n, d) => n + d.count, 0),
                href: '/admin/reports',
              },
            ]
          : []),
      ],
      recent,
    });
  });

  // Post/redirect/get: a refused post keeps what its page shows under the console session.
  const flow = (ctx: Context) => `admin:${ctx.state.console.idHash}`;
  const failed: ConsoleKit['failed'] = (ctx, path, data, status = 400) =>
    redirectWithFlash(ctx, deps, flow(ctx), path, data, status);
  const actionError = (errors: Record<string, string>) => ({ actionError: Object.values(errors).join(' ') });

  const kit: ConsoleKit = {
    deps,
    adminDeps,
    router,
    page,
    requireAdmin,
    need,
    posted,
    form,
    actorOf,
    fieldsOf,
    done,
    failed,
    flash: (ctx) => flashFor(ctx, deps, flow(ctx)),
    attempt: async (ctx, path, run, data = actionError) => {
      try {
        await run();
      } catch (err) {
        if (!(err instanceof FieldError)) throw err;
        await failed(ctx, path, data(fieldsOf(ctx, err)), err.status);
      }
    },
  };
  policyConsole(kit);
  usersConsole(kit);
  groupsConsole(kit);
  clientsConsole(kit);
  apisConsole(kit);
  auditConsole(kit);
  reportsConsole(kit);

  // ------------------------------------------------------------ contact requests

  router.get('/contacts', requireAdmin, need('contacts.read'), async (ctx) => {
    page(ctx, 'contacts', 'contacts', { events: await svc.listContactRequests(adminDeps, actorOf(ctx)) });
  });

  // ------------------------------------------------------------ notices that could not be sent

  router.get('/notices', requireAdmin, need('audit.read'), async (ctx) => {
    page(ctx, 'notices', 'notices', {
      ...(await listQueuedNotices(adminDeps, actorOf(ctx), { status: 'failed' })),
    });
  });

  return router;
}

import type crypto from 'node:crypto';
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { readForm } from '../../http/body.ts';
import { verifyCsrf } from '../../http/csrf.ts';
import { AppError } from '../../http/errors.ts';
import { posted as postedForm } from '../../http/form.ts';
import { render } from '../../http/views.ts';
import { AUDIT_ACTIVITY_CODES, activityLabel, resultTone } from '../../i18n/activity.ts';
import { isMessageKey, type MessageKey } from '../../i18n/index.ts';
import { AUTH_METHODS, ensureBuiltinClient, GRANT_TYPES, ID_TOKEN_ALGS } from '../../oidc/clients.ts';
import { InternalClient } from '../../oidc/internal-client.ts';
import { policyFromSettings } from '../../policy/settings.ts';
import { listCredentials } from '../../store/credentials.ts';
import { countUsersByStatus } from '../../store/directory.ts';
import { listGroups } from '../../store/groups.ts';
import type { User } from '../../store/users.ts';
import { FirstPartySessions } from '../first-party-session.ts';
import { barChart, columnChart } from './charts.ts';
import * as contacts from './contacts.ts';
import * as invitations from './invitations.ts';
import { listQueuedNotices } from './notices.ts';
import { type Actor, can, type Permission, permissionsForRoles } from './permissions.ts';
import {
  fieldHint,
  fieldLabel,
  fieldValue,
  formToPolicy,
  optionLabel,
  policyFields,
  SECTION_ORDER,
  sectionLabel,
} from './policy-form.ts';
import { cachedReport, loadReport, type ReportData } from './reports.ts';
import * as svc from './service.ts';
import * as usersCsv from './users-csv.ts';
import { FieldError, translateFields } from './validation.ts';

const SESSION_COOKIE = 'tobira.admin';
const STATE_COOKIE = 'tobira.admin.state';
/** Administrators sign in again after two hours. */
const SESSION_MS = 2 * 3600_000;
const REDIRECT_PATH = '/admin/callback';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,100}$/;

interface ConsoleState {
  user: User;
  actor: Actor;
}

declare module 'koa' {
  interface DefaultState {
    /** The console's signed-in user and actor (set by its session middleware, under /admin). */
    console: ConsoleState;
  }
}

type Section =
  | 'dashboard'
  | 'users'
  | 'groups'
  | 'clients'
  | 'policy'
  | 'audit'
  | 'reports'
  | 'contacts'
  | 'notices';

const NAV: Array<{ section: Section; href: string; label: MessageKey; permission: Permission | null }> = [
  { section: 'dashboard', href: '/admin/', label: 'admin.nav.dashboard', permission: null },
  { section: 'users', href: '/admin/users', label: 'admin.nav.users', permission: 'users.read' },
  { section: 'groups', href: '/admin/groups', label: 'admin.nav.groups', permission: 'groups.read' },
  { section: 'clients', href: '/admin/clients', label: 'admin.nav.clients', permission: 'clients.read' },
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

/** A method kind in the reader's language ("app" -> "Authenticator app"); unknown kinds as they are. */
function methodLabel(ctx: Context, kind: string): string {
  const key = `method.${kind}`;
  return isMessageKey(key) ? ctx.state.t(key) : kind;
}

const fmt = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').slice(0, 16) : '');

/**
 * The administration console (/admin/): a first-party client of this provider like the portal. Only
 * administrators and helpdesk users who signed in with a second factor get in; every form carries a
 * CSRF token; every change goes through the same service as the API and the CLI.
 */
export async function adminConsoleRoutes(deps: AppDeps): Promise<Router> {
  const rp = await adminRelyingParty(deps);
  const branding = deps.branding;
  const adminDeps: svc.AdminDeps = { ...deps, onSettingsChanged: () => branding.invalidate() };
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

  // ------------------------------------------------------------ policy

  async function policyPage(
    ctx: Context,
    values: Record<string, unknown>,
    errors: Record<string, string>,
    notice?: string,
    status = 200,
  ) {
    const policy = await svc.readPolicy(deps.db);
    const groups = (await listGroups(deps.db)).map((g) => g.name);
    const t = ctx.state.t;
    const fields = policyFields(groups, policy).map((f) => ({
      ...f,
      label: fieldLabel(t, f),
      hint: fieldHint(t, f),
      value: fieldValue(f, f.key in values ? values[f.key] : policy[f.key as keyof typeof policy]),
      options: f.options?.map((o) => ({ value: String(o), label: optionLabel(t, f, o) })),
      error: errors[f.key],
    }));
    const sections = SECTION_ORDER.map((s) => ({
      id: s,
      label: sectionLabel(t, s),
      fields: fields.filter((f) => f.section === s),
    })).filter((s) => s.fields.length);
    const extra = Object.entries(errors).filter(([k]) => !fields.some((f) => f.key === k));
    page(
      ctx,
      'policy',
      'policy',
      {
        sections,
        notice,
        errorSummary: Object.keys(errors).length > 0,
        extraErrors: extra,
        invalidFields: fields
          .filter((f) => f.error)
          .map((f) => ({ id: `f-${f.key}`, label: f.label, error: f.error })),
        noGroups: groups.length === 0,
        editable: can(actorOf(ctx), 'policy.write'),
      },
      status,
    );
  }

  /** The changed settings named in words ("Minimum length, Organization name"), in the editor's order. */
  async function changedSettingNames(ctx: Context, changed: string): Promise<string> {
    const keys = new Set(changed.split(',').filter((k) => /^\w+$/.test(k)));
    const policy = await svc.readPolicy(deps.db);
    const groups = (await listGroups(deps.db)).map((g) => g.name);
    const fields = policyFields(groups, policy);
    const named = fields.filter((f) => keys.has(f.key)).map((f) => fieldLabel(ctx.state.t, f));
    const unknown = [...keys].filter((k) => !fields.some((f) => f.key === k));
    return [...named, ...unknown].join(', ');
  }

  router.get('/policy', requireAdmin, need('policy.read'), async (ctx) => {
    const changed = typeof ctx.query.changed === 'string' ? ctx.query.changed.slice(0, 500) : undefined;
    const notice =
      ctx.query.done === 'saved'
        ? changed
          ? ctx.state.t('admin.policy.saved', {
              keys: await changedSettingNames(ctx, changed),
            })
          : ctx.state.t('admin.policy.unchanged')
        : undefined;
    await policyPage(ctx, {}, {}, notice);
  });

  router.post('/policy', posted, requireAdmin, need('policy.write'), async (ctx) => {
    const policy = await svc.readPolicy(deps.db);
    const groups = (await listGroups(deps.db)).map((g) => g.name);
    const values = formToPolicy(policyFields(groups, policy), form(ctx));
    try {
      const r = await svc.updatePolicy(adminDeps, actorOf(ctx), values);
      ctx.redirect(`/admin/policy?done=saved&changed=${encodeURIComponent(r.changed.join(','))}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await policyPage(ctx, values, fieldsOf(ctx, err), undefined, 400);
    }
  });

  // ------------------------------------------------------------ users

  router.get('/users', requireAdmin, need('users.read'), async (ctx) => {
    const q = ctx.query as Record<string, string>;
    const size = 50;
    let errors: Record<string, string> = {};
    let result = { next: null as string | null, users: [] as svc.UserSummary[] };
    const after = typeof q.after === 'string' && q.after ? q.after.slice(0, 256) : undefined;
    try {
      const search = svc.parseUserSearch({ q: q.q, status: q.status, limit: String(size), after });
      result = await svc.listUsers(adminDeps, actorOf(ctx), search);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      errors = fieldsOf(ctx, err);
    }
    // Keyset pages: "next" carries the last login of this page; "first" goes back to the start.
    const keep = (cursor?: string) =>
      `/admin/users?${new URLSearchParams({ q: q.q ?? '', status: q.status ?? '', ...(cursor ? { after: cursor } : {}) })}`;
    page(ctx, 'users', 'users', {
      notice:
        q.done === 'deleted' && typeof q.login === 'string'
          ? ctx.state.t('admin.user.done.deleted', { login: q.login.slice(0, 256) })
          : undefined,
      q: typeof q.q === 'string' ? q.q.slice(0, 256) : '',
      status: q.status === 'active' || q.status === 'disabled' ? q.status : '',
      result: { ...result, shown: result.users.length, truncated: !!result.next },
      errors,
      prev: after ? keep() : null,
      next: result.next ? keep(result.next) : null,
    });
  });

  function userFormValues(f: Record<string, string>) {
    const roles = ['admin', 'helpdesk'].filter((r) => f[`role.${r}`] === 'on');
    return {
      login: (f.login ?? '').trim(),
      displayName: (f.displayName ?? '').trim(),
      email: (f.email ?? '').trim(),
      roles,
      passwordManaged: f.passwordManaged === 'external' ? 'external' : 'local',
    };
  }

  // CSV import: paste (or drop) the file's text, preview it as a dry run, then import the same text.
  const IMPORT_LIMIT = 8 * 1024 * 1024;
  router.get('/users/import', requireAdmin, need('users.write'), (ctx) => {
    page(ctx, 'users-import', 'users', { csv: '', result: null, errors: {} });
  });

  router.post('/users/import', requireAdmin, need('users.write'), async (ctx) => {
    const f = await readForm(ctx, IMPORT_LIMIT, { multiline: new Set(['csv']) });
    verifyCsrf(ctx, f, deps.issuerOrigin);
    const csv = f.csv ?? '';
    const dryRun = f.run !== 'import';
    try {
      const r = await usersCsv.importUsersCsv(adminDeps, actorOf(ctx), Readable.from([csv]), {
        dryRun,
      });
      page(ctx, 'users-import', 'users', {
        csv: dryRun ? csv : '',
        result: {
          ...r,
          errors: r.errors.slice(0, 500).map((e) => ({ ...e, message: ctx.state.t(e.key, e.params) })),
        },
        errors: {},
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      page(ctx, 'users-import', 'users', { csv, result: null, errors: fieldsOf(ctx, err) }, err.status);
    }
  });

  router.get('/users.csv', requireAdmin, need('users.read'), async (ctx) => {
    const lines = await usersCsv.exportUsersCsv(adminDeps, actorOf(ctx));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`users-${deps.clock.now().toISOString().slice(0, 10)}.csv`);
    ctx.body = Readable.from(lines);
  });

  router.get('/users/new', requireAdmin, need('users.write'), (ctx) => {
    page(ctx, 'user-new', 'users', {
      values: { login: '', displayName: '', email: '', roles: [], passwordManaged: 'local' },
    });
  });

  router.post('/users/new', posted, requireAdmin, need('users.write'), async (ctx) => {
    const values = userFormValues(form(ctx));
    try {
      const body: Record<string, unknown> = {
        login: values.login,
        roles: values.roles,
        passwordManaged: values.passwordManaged,
      };
      if (values.displayName) body.displayName = values.displayName;
      if (values.email) body.email = values.email;
      if (form(ctx).initialPassword === 'none') body.initialPassword = 'none';
      const r = await svc.createUser(adminDeps, actorOf(ctx), body);
      // The temporary password is shown on this response only (never in a URL or a redirect).
      page(ctx, 'user-secret', 'users', {
        user: r.user,
        temporaryPassword: r.temporaryPassword,
        notice: ctx.state.t('admin.user.created', { login: r.user.login }),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      page(ctx, 'user-new', 'users', { values, errors: fieldsOf(ctx, err) }, err.status);
    }
  });

  async function userPage(ctx: Context, ref: string, extra: Record<string, unknown> = {}, status = 200) {
    const user = await svc.getUser(adminDeps, actorOf(ctx), ref);
    const { contactMethods } = await contacts.getContactMethods(adminDeps, actorOf(ctx), user.id);
    const { invitation } = await invitations.getInvitation(adminDeps, actorOf(ctx), user.id);
    page(
      ctx,
      'user',
      'users',
      {
        user,
        contactMethods,
        invitation,
        contactValues: {},
        contactErrors: {},
        values: {
          displayName: user.displayName,
          email: user.email ?? '',
          roles: user.roles,
          passwordManaged: user.passwordManaged,
        },
        notice: done(ctx.query.done)
          ? ctx.state.t(`admin.user.done.${done(ctx.query.done)}` as MessageKey)
          : undefined,
        methodName: (kind: string) => methodLabel(ctx, kind),
        self: user.id === actorOf(ctx).id,
        ...extra,
      },
      status,
    );
  }

  const userId = (ctx: Context) => {
    if (!UUID.test(ctx.params.id)) throw new AppError('user.not_found', 404, 'admin.error.userNotFound');
    return ctx.params.id;
  };

  router.get('/users/:id', requireAdmin, need('users.read'), async (ctx) => {
    await userPage(ctx, userId(ctx));
  });

  router.post('/users/:id', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    const v = userFormValues(form(ctx));
    try {
      await svc.updateUser(adminDeps, actorOf(ctx), id, {
        displayName: v.displayName,
        email: v.email,
        roles: v.roles,
        passwordManaged: v.passwordManaged,
      });
      ctx.redirect(`/admin/users/${id}?done=updated`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await userPage(ctx, id, { values: v, errors: fieldsOf(ctx, err) }, err.status);
    }
  });

  const USER_ACTIONS: Record<
    string,
    { permission: Permission; done: string; run: (a: Actor, id: string) => Promise<unknown> }
  > = {
    disable: {
      permission: 'users.write',
      done: 'disabled',
      run: (a, id) => svc.setUserStatus(adminDeps, a, id, 'disabled'),
    },
    enable: {
      permission: 'users.write',
      done: 'enabled',
      run: (a, id) => svc.setUserStatus(adminDeps, a, id, 'active'),
    },
    unlock: {
      permission: 'users.unlock',
      done: 'unlocked',
      run: (a, id) => svc.unlockUser(adminDeps, a, id),
    },
    invite: {
      permission: 'users.write',
      done: 'invited',
      run: (a, id) => invitations.inviteUser(adminDeps, a, id),
    },
    'revoke-invitation': {
      permission: 'users.write',
      done: 'invitation_revoked',
      run: (a, id) => invitations.revokeInvitation(adminDeps, a, id),
    },
    'require-reregistration': {
      permission: 'users.write',
      done: 'reregistration',
      run: (a, id) => svc.requireReregistration(adminDeps, a, id),
    },
    'email-verified': {
      permission: 'users.write',
      done: 'email_verified',
      run: (a, id) => svc.updateUser(adminDeps, a, id, { emailVerified: true }),
    },
    'email-unverified': {
      permission: 'users.write',
      done: 'email_unverified',
      run: (a, id) => svc.updateUser(adminDeps, a, id, { emailVerified: false }),
    },
  };

  /**
   * The confirmation page of a destructive action: a plain page with a form that posts the action, so
   * it works without JavaScript. The user page links here instead of posting at once.
   */
  const CONFIRMABLE: Record<string, { permission: Permission; button: MessageKey; lead: MessageKey }> = {
    'reset-password': {
      permission: 'users.write',
      button: 'admin.user.resetPassword',
      lead: 'confirm.admin.resetPassword',
    },
    disable: { permission: 'users.write', button: 'admin.user.disable', lead: 'confirm.admin.disable' },
    'require-reregistration': {
      permission: 'users.write',
      button: 'admin.user.requireReregistration',
      lead: 'confirm.admin.requireReregistration',
    },
  };

  router.get('/users/:id/confirm/:action', requireAdmin, async (ctx) => {
    const id = userId(ctx);
    const action = ctx.params.action;
    const c = Object.hasOwn(CONFIRMABLE, action) ? CONFIRMABLE[action] : undefined;
    if (!c) throw new AppError('not_found', 404, 'error.http.404');
    if (!can(actorOf(ctx), c.permission)) throw new AppError('forbidden', 403, 'admin.error.forbidden');
    const user = await svc.getUser(adminDeps, actorOf(ctx), id);
    page(ctx, 'confirm', 'users', {
      user,
      heading: ctx.state.t(c.button),
      lead: ctx.state.t(c.lead, { login: user.login }),
      action: `/admin/users/${id}/${action}`,
      button: ctx.state.t(c.button),
      cancel: `/admin/users/${id}`,
    });
  });

  /** Deleting asks first, on a page of its own (no script needed); never one's own account. */
  router.get('/users/:id/delete', requireAdmin, need('users.write'), async (ctx) => {
    const user = await svc.getUser(adminDeps, actorOf(ctx), userId(ctx));
    if (user.id === actorOf(ctx).id) {
      return userPage(ctx, user.id, { actionError: ctx.state.t('admin.user.selfDelete') }, 409);
    }
    page(ctx, 'user-delete', 'users', { user });
  });

  router.post('/users/:id/delete', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    try {
      const r = await svc.deleteUser(adminDeps, actorOf(ctx), id);
      ctx.redirect(`/admin/users?${new URLSearchParams({ done: 'deleted', login: r.deleted })}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await userPage(ctx, id, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  router.post('/users/:id/reset-password', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    try {
      const r = await svc.resetPassword(adminDeps, actorOf(ctx), id);
      page(ctx, 'user-secret', 'users', {
        user: r.user,
        temporaryPassword: r.temporaryPassword,
        notice: ctx.state.t('admin.user.done.reset'),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await userPage(ctx, id, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  router.post('/users/:id/contact-methods', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    const f = form(ctx);
    const body: Record<string, unknown> = {};
    for (const k of contacts.CONTACT_SLOTS) {
      // A blank field leaves the method as it is; "remove" ticks remove it.
      if (f[`remove_${k}`] === '1') body[k] = null;
      else if ((f[k] ?? '').trim()) body[k] = (f[k] ?? '').slice(0, 400);
    }
    if (/^[A-Z]{2}$/.test(f.country ?? '')) body.country = f.country;
    try {
      await contacts.setContactMethods(adminDeps, actorOf(ctx), id, body);
      ctx.redirect(`/admin/users/${id}?done=contacts`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await userPage(ctx, id, { contactValues: f, contactErrors: fieldsOf(ctx, err) }, err.status);
    }
  });

  router.post('/users/:id/:action', posted, requireAdmin, async (ctx) => {
    const id = userId(ctx);
    const action = USER_ACTIONS[ctx.params.action];
    if (!action) throw new AppError('not_found', 404, 'error.http.404');
    if (!can(actorOf(ctx), action.permission)) throw new AppError('forbidden', 403, 'admin.error.forbidden');
    try {
      await action.run(actorOf(ctx), id);
      ctx.redirect(`/admin/users/${id}?done=${action.done}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await userPage(ctx, id, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  // ------------------------------------------------------------ groups

  async function groupsPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    page(
      ctx,
      'groups',
      'groups',
      { groups: await svc.listAllGroups(adminDeps, actorOf(ctx)), name: '', ...extra },
      status,
    );
  }

  router.get('/groups', requireAdmin, need('groups.read'), async (ctx) => {
    await groupsPage(ctx, {
      notice: ctx.query.done === 'deleted' ? ctx.state.t('admin.client.deleted') : undefined,
    });
  });

  router.post('/groups', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const name = (form(ctx).name ?? '').slice(0, 200);
    try {
      const g = await svc.createGroup(adminDeps, actorOf(ctx), { name });
      ctx.redirect(`/admin/groups/${g.id}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await groupsPage(ctx, { name, errors: fieldsOf(ctx, err) }, err.status);
    }
  });

  const groupId = (ctx: Context) => {
    if (!UUID.test(ctx.params.id)) throw new AppError('group.not_found', 404, 'admin.error.groupNotFound');
    return ctx.params.id;
  };

  async function groupPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const r = await svc.groupMembers(adminDeps, actorOf(ctx), groupId(ctx));
    const policy = await svc.readPolicy(deps.db);
    page(
      ctx,
      'group',
      'groups',
      {
        group: r.group,
        members: r.members,
        inPolicy: policy.resetGroups.includes(r.group.name),
        login: '',
        ...extra,
      },
      status,
    );
  }

  router.get('/groups/:id', requireAdmin, need('groups.read'), async (ctx) => {
    await groupPage(ctx);
  });

  router.post('/groups/:id/members', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    const login = (form(ctx).login ?? '').trim().slice(0, 256);
    try {
      if (!login) throw new FieldError({ login: { key: 'admin.field.required' } });
      await svc.addGroupMember(adminDeps, actorOf(ctx), id, login);
      ctx.redirect(`/admin/groups/${id}`);
    } catch (err) {
      if (err instanceof AppError && err.code === 'user.not_found') {
        return groupPage(ctx, { login, errors: { login: ctx.state.t('admin.error.userNotFound') } }, 400);
      }
      if (!(err instanceof FieldError)) throw err;
      await groupPage(ctx, { login, errors: fieldsOf(ctx, err) }, err.status);
    }
  });

  router.post('/groups/:id/members/:user/remove', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    if (!UUID.test(ctx.params.user)) throw new AppError('user.not_found', 404, 'admin.error.userNotFound');
    await svc.removeGroupMember(adminDeps, actorOf(ctx), id, ctx.params.user);
    ctx.redirect(`/admin/groups/${id}`);
  });

  router.post('/groups/:id/delete', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    try {
      await svc.deleteGroup(adminDeps, actorOf(ctx), id);
      ctx.redirect('/admin/groups?done=deleted');
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await groupPage(ctx, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  // ------------------------------------------------------------ clients

  const lines = (s: string | undefined) =>
    (s ?? '')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);

  function clientFormValues(f: Record<string, string>) {
    return {
      clientId: (f.clientId ?? '').trim(),
      name: (f.name ?? '').trim(),
      redirectUris: lines(f.redirectUris),
      postLogoutRedirectUris: lines(f.postLogoutRedirectUris),
      grantTypes: GRANT_TYPES.filter((g) => f[`grant.${g}`] === 'on'),
      public: f.public === 'on',
      firstParty: f.firstParty === 'on',
      admin: f.admin === 'on',
      scope: (f.scope ?? '').trim(),
      ...clientSettingValues(f),
    };
  }

  /** The per-client settings of issue 11 as the form shows them (jwks as JSON text). */
  function clientSettingValues(f: Record<string, string>) {
    return {
      idTokenAlg: f.idTokenAlg ?? '',
      authMethod: f.authMethod ?? '',
      jwksUri: (f.jwksUri ?? '').trim(),
      jwksText: (f.jwksText ?? '').trim(),
      backchannelLogoutUri: (f.backchannelLogoutUri ?? '').trim(),
      backchannelLogoutSessionRequired: f.backchannelLogoutSessionRequired === 'on',
    };
  }

  /** The settings for the service: a JWK Set that is not JSON is reported on its field. */
  function clientSettingsBody(v: ReturnType<typeof clientSettingValues>, isPublic: boolean, update: boolean) {
    let jwks: unknown = null;
    if (v.jwksText) {
      try {
        jwks = JSON.parse(v.jwksText);
      } catch {
        throw new FieldError({ jwks: { key: 'admin.client.jwksInvalid' } });
      }
    }
    const body: Record<string, unknown> = {
      backchannelLogoutSessionRequired: v.backchannelLogoutSessionRequired,
    };
    if (v.idTokenAlg) body.idTokenAlg = v.idTokenAlg;
    if (!isPublic && v.authMethod && v.authMethod !== 'none') body.authMethod = v.authMethod;
    if (update) {
      body.jwks = jwks;
      body.jwksUri = v.jwksUri || null;
      body.backchannelLogoutUri = v.backchannelLogoutUri || null;
    } else {
      if (jwks) body.jwks = jwks;
      if (v.jwksUri) body.jwksUri = v.jwksUri;
      if (v.backchannelLogoutUri) body.backchannelLogoutUri = v.backchannelLogoutUri;
    }
    return body;
  }

  /** Field names of the service ("redirectUris.1") shown on the form's field ("redirectUris"). */
  const byField = (errors: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(errors)) out[k.split('.')[0]] ??= v;
    return out;
  };

  router.get('/clients', requireAdmin, need('clients.read'), async (ctx) => {
    page(ctx, 'clients', 'clients', {
      clients: await svc.listAllClients(adminDeps, actorOf(ctx)),
      grantTypes: GRANT_TYPES,
      idTokenAlgs: ID_TOKEN_ALGS,
      authMethods: AUTH_METHODS,
      values: {
        clientId: '',
        name: '',
        redirectUris: [],
        postLogoutRedirectUris: [],
        grantTypes: ['authorization_code', 'refresh_token'],
        public: false,
        firstParty: false,
        admin: false,
        scope: '',
        ...clientSettingValues({}),
      },
      notice: ctx.query.done === 'deleted' ? ctx.state.t('admin.client.deleted') : undefined,
    });
  });

  router.post('/clients', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const v = clientFormValues(form(ctx));
    try {
      const body: Record<string, unknown> = {
        clientId: v.clientId,
        redirectUris: v.redirectUris,
        postLogoutRedirectUris: v.postLogoutRedirectUris,
        grantTypes: v.grantTypes,
        public: v.public,
        firstParty: v.firstParty,
        admin: v.admin,
        ...clientSettingsBody(v, v.public, false),
      };
      if (v.name) body.name = v.name;
      if (v.scope) body.scope = v.scope;
      const r = await svc.createClient(adminDeps, actorOf(ctx), body);
      page(ctx, 'client-secret', 'clients', {
        client: r.client,
        secret: r.clientSecret,
        notice: ctx.state.t('admin.client.created', { id: r.client.clientId }),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      page(
        ctx,
        'clients',
        'clients',
        {
          clients: await svc.listAllClients(adminDeps, actorOf(ctx)),
          grantTypes: GRANT_TYPES,
          idTokenAlgs: ID_TOKEN_ALGS,
          authMethods: AUTH_METHODS,
          values: v,
          errors: byField(fieldsOf(ctx, err)),
        },
        err.status,
      );
    }
  });

  const clientId = (ctx: Context) => {
    if (!CLIENT_ID.test(ctx.params.id))
      throw new AppError('client.not_found', 404, 'admin.error.clientNotFound');
    return ctx.params.id;
  };

  async function clientPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const c = await svc.getClient(adminDeps, actorOf(ctx), clientId(ctx));
    page(
      ctx,
      'client',
      'clients',
      {
        client: c,
        grantTypes: GRANT_TYPES,
        values: {
          ...c,
          scope: c.scope ?? '',
          jwksUri: c.jwksUri ?? '',
          jwksText: c.jwks ? JSON.stringify(c.jwks) : '',
          backchannelLogoutUri: c.backchannelLogoutUri ?? '',
        },
        idTokenAlgs: ID_TOKEN_ALGS,
        authMethods: AUTH_METHODS,
        notice: ctx.query.done === 'saved' ? ctx.state.t('admin.client.saved') : undefined,
        ...extra,
      },
      status,
    );
  }

  router.get('/clients/:id', requireAdmin, need('clients.read'), async (ctx) => {
    await clientPage(ctx);
  });

  router.post('/clients/:id', posted, requireAdmin, need('clients.write'), async (ctx) => {
    const id = clientId(ctx);
    const v = clientFormValues(form(ctx));
    try {
      await svc.updateClient(adminDeps, actorOf(ctx), id, {
        name: v.name || undefined,
        redirectUris: v.redirectUris,
        postLogoutRedirectUris: v.postLogoutRedirectUris,
        grantTypes: v.grantTypes,
        firstParty: v.firstParty,
        admin: v.admin,
        scope: v.scope || null,
        ...clientSettingsBody(v, false, true),
      });
      ctx.redirect(`/admin/clients/${encodeURIComponent(id)}?done=saved`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      const errors = byField(fieldsOf(ctx, err));
      await clientPage(ctx, { values: { ...v, clientId: id }, errors, actionError: errors.body }, err.status);
    }
  });

  router.post('/clients/:id/rotate', posted, requireAdmin, need('clients.write'), async (ctx) => {
    try {
      const r = await svc.rotateClientSecret(adminDeps, actorOf(ctx), clientId(ctx));
      page(ctx, 'client-secret', 'clients', {
        client: r.client,
        secret: r.clientSecret,
        notice: ctx.state.t('admin.client.rotated', { id: r.client.clientId }),
      });
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await clientPage(ctx, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  router.post('/clients/:id/delete', posted, requireAdmin, need('clients.write'), async (ctx) => {
    try {
      await svc.deleteClient(adminDeps, actorOf(ctx), clientId(ctx));
      ctx.redirect('/admin/clients?done=deleted');
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await clientPage(ctx, { actionError: Object.values(fieldsOf(ctx, err)).join(' ') }, err.status);
    }
  });

  // ------------------------------------------------------------ audit

  function auditInput(ctx: Context) {
    const q = ctx.query as Record<string, unknown>;
    const pick = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).slice(0, 256) : '');
    return {
      from: pick('from'),
      to: pick('to'),
      user: pick('user'),
      activity: pick('activity'),
      result: pick('result'),
      before: pick('before'),
      size: pick('size'),
    };
  }

  /** Events per page of the audit log: one of the sizes offered, 25 unless chosen. */
  const AUDIT_PAGE_SIZES = [25, 50, 100];

  router.get('/audit', requireAdmin, need('audit.read'), async (ctx) => {
    const { size: sizeInput, ...input } = auditInput(ctx);
    const size = AUDIT_PAGE_SIZES.includes(Number(sizeInput)) ? Number(sizeInput) : AUDIT_PAGE_SIZES[0];
    const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== ''));
    let events: svc.AuditView[] = [];
    let next: number | null = null;
    let errors: Record<string, string> = {};
    try {
      const r = await svc.listAuditEvents(adminDeps, actorOf(ctx), {
        ...svc.parseAuditQuery(given),
        limit: size,
      });
      events = r.events;
      next = r.next;
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      errors = fieldsOf(ctx, err);
    }
    const { before: _before, ...filters } = given;
    const qs = new URLSearchParams(filters as Record<string, string>);
    const paged = {
      ...(filters as Record<string, string>),
      ...(size !== AUDIT_PAGE_SIZES[0] ? { size: String(size) } : {}),
    };
    const t = ctx.state.t;
    page(
      ctx,
      'audit',
      'audit',
      {
        values: input,
        events: events.map((e) => ({
          ...e,
          activityLabel: activityLabel(t, e.activity),
          tone: resultTone(e.result),
          detailList: Object.entries(e.details ?? {}).map(([k, v]) => [
            k,
            typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        })),
        activities: AUDIT_ACTIVITY_CODES.map((code) => ({ value: code, label: activityLabel(t, code) })),
        sizes: AUDIT_PAGE_SIZES,
        size,
        newestHref: input.before
          ? `/admin/audit${new URLSearchParams(paged).size ? `?${new URLSearchParams(paged)}` : ''}`
          : null,
        errors,
        results: svc.AUDIT_RESULTS.map((r) => ({
          value: r,
          label: ctx.state.t(`admin.result.${r}` as MessageKey),
        })),
        csvHref: `/admin/audit.csv${qs.size ? `?${qs}` : ''}`,
        nextHref: next ? `/admin/audit?${new URLSearchParams({ ...paged, before: String(next) })}` : null,
        resultLabel: (r: string) =>
          (svc.AUDIT_RESULTS as readonly string[]).includes(r)
            ? ctx.state.t(`admin.result.${r}` as MessageKey)
            : r,
      },
      Object.keys(errors).length ? 400 : 200,
    );
  });

  router.get('/audit.csv', requireAdmin, need('audit.read'), async (ctx) => {
    const given = Object.fromEntries(
      Object.entries(auditInput(ctx)).filter(([k, v]) => v !== '' && k !== 'before'),
    );
    let q: svc.AuditQuery;
    try {
      q = svc.parseAuditQuery(given);
    } catch (err) {
      if (err instanceof FieldError) throw new AppError('invalid_request', 400, 'admin.error.invalid');
      throw err;
    }
    const out = await svc.exportAuditCsv(adminDeps, actorOf(ctx), q);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`audit-${deps.clock.now().toISOString().slice(0, 10)}.csv`);
    ctx.body = Readable.from(out);
  });

  // ------------------------------------------------------------ reports

  router.get('/reports', requireAdmin, need('reports.read'), async (ctx) => {
    const r = await loadReport(deps);
    const t = ctx.state.t;
    const label = (k: string) => methodLabel(ctx, k);
    const reg = [
      { label: t('admin.reports.registration.active'), value: r.registration.active },
      { label: t('admin.reports.registration.registered'), value: r.registration.registered },
      { label: t('admin.reports.registration.inScope'), value: r.registration.inScope },
      { label: t('admin.reports.registration.capable'), value: r.registration.capable },
    ];
    const methods = r.methods.map((m) => ({
      label: label(m.kind),
      value: m.users,
      registered: m.registered,
    }));
    const perDay = r.resetsPerDay.map((d) => ({ label: d.day, value: d.count }));
    const perMethod = r.resetsPerMethod.map((m) => ({ label: label(m.method), value: m.count }));
    const outcomes = r.outcomes.map((o) => ({
      label: t(`admin.result.${o.result}` as MessageKey),
      value: o.count,
    }));
    const title = {
      reg: t('admin.reports.registration'),
      methods: t('admin.reports.methods'),
      perDay: t('admin.reports.resetsPerDay'),
      perMethod: t('admin.reports.resetsPerMethod'),
      outcomes: t('admin.reports.outcomes'),
    };
    page(ctx, 'reports', 'reports', {
      asOf: r.asOf.slice(0, 10),
      reports: [
        {
          id: 'registration',
          title: title.reg,
          svg: barChart(reg, { id: 'chart-registration', title: title.reg }),
          head: t('admin.reports.col.measure'),
          rows: reg,
        },
        {
          id: 'methods',
          title: title.methods,
          svg: barChart(methods, {
            id: 'chart-methods',
            title: `${title.methods} (${t('admin.reports.methods.users')})`,
          }),
          head: t('admin.reports.col.method'),
          rows: methods,
          extra: t('admin.reports.methods.registered'),
          valueHead: t('admin.reports.methods.users'),
        },
        {
          id: 'per-day',
          title: title.perDay,
          svg: columnChart(perDay, { id: 'chart-per-day', title: title.perDay, labelEvery: 7 }),
          head: t('admin.reports.col.day'),
          rows: perDay,
          total: perDay.reduce((n, d) => n + d.value, 0),
        },
        {
          id: 'per-method',
          title: title.perMethod,
          svg: barChart(perMethod, { id: 'chart-per-method', title: title.perMethod }),
          head: t('admin.reports.col.method'),
          rows: perMethod,
        },
        {
          id: 'outcomes',
          title: title.outcomes,
          svg: barChart(outcomes, { id: 'chart-outcomes', title: title.outcomes }),
          head: t('admin.reports.col.result'),
          rows: outcomes,
        },
      ],
    });
  });

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

import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { readForm } from '../../../http/body.ts';
import { verifyCsrf } from '../../../http/csrf.ts';
import { AppError } from '../../../http/errors.ts';
import type { MessageKey } from '../../../i18n/index.ts';
import { type ConsoleKit, methodLabel, UUID } from '../console-kit.ts';
import * as contacts from '../contacts.ts';
import { getImportJob, spoolUpload, startImportJob } from '../import-jobs.ts';
import * as invitations from '../invitations.ts';
import { type Actor, can, type Permission } from '../permissions.ts';
import * as usersCsv from '../users-csv.ts';
import { importUsersCsv } from '../users-import.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** The console's users pages (mounted by ../console.ts in this order). */
export function usersConsole(kit: ConsoleKit): void {
  const { deps, adminDeps, router, page, requireAdmin, need, posted, form, actorOf, fieldsOf, done } = kit;

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
  /** The longest refused text kept for the form after post/redirect/get (characters). */
  const KEEP_CSV = 64 * 1024;
  router.get('/users/import', requireAdmin, need('users.write'), async (ctx) => {
    // A refused file left its message (and its text, when small) here (post/redirect/get).
    const f = await kit.flash(ctx);
    page(ctx, 'users-import', 'users', { csv: '', result: null, errors: {}, ...f?.data }, f?.status);
  });

  router.post('/users/import', requireAdmin, need('users.write'), async (ctx) => {
    const f = await readForm(ctx, IMPORT_LIMIT, { multiline: new Set(['csv']) });
    verifyCsrf(ctx, f, deps.issuerOrigin);
    const csv = f.csv ?? '';
    const dryRun = f.run !== 'import';
    // A refused file: its text comes back in the form only when small (the flash is a table row).
    const refused = (errors: Record<string, string>) => ({
      csv: csv.length <= KEEP_CSV ? csv : '',
      errors,
    });
    await kit.attempt(
      ctx,
      '/admin/users/import',
      async () => {
        if (!dryRun) {
          // The import runs as a job; its page shows the rows done until it ends.
          const spooled = await spoolUpload(Readable.from([csv]));
          const job = await startImportJob(adminDeps, actorOf(ctx), spooled, false);
          ctx.redirect(`/admin/users/import/${job.id}`);
          return;
        }
        // The preview answers the post itself: it carries the text the Import button sends again.
        const r = await importUsersCsv(adminDeps, actorOf(ctx), Readable.from([csv]), { dryRun });
        page(ctx, 'users-import', 'users', {
          csv,
          result: {
            ...r,
            errors: r.errors.slice(0, 500).map((e) => ({ ...e, message: ctx.state.t(e.key, e.params) })),
          },
          errors: {},
        });
      },
      refused,
    );
  });

  router.get('/users/import/:id', requireAdmin, need('users.write'), async (ctx) => {
    const job = await getImportJob(adminDeps, actorOf(ctx), ctx.params.id);
    // Browsers reload a page with this header: the progress updates without script.
    if (job.state === 'running') ctx.set('Refresh', '1');
    page(ctx, 'users-import-job', 'users', {
      job: {
        ...job,
        errors: job.errors.slice(0, 500).map((e) => ({ ...e, message: ctx.state.t(e.key, e.params) })),
        failure: job.failure ? ctx.state.t(job.failure.key, job.failure.params) : null,
      },
    });
  });

  router.get('/users.csv', requireAdmin, need('users.read'), async (ctx) => {
    const lines = await usersCsv.exportUsersCsv(adminDeps, actorOf(ctx));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.attachment(`users-${deps.clock.now().toISOString().slice(0, 10)}.csv`);
    ctx.body = Readable.from(lines);
  });

  router.get('/users/new', requireAdmin, need('users.write'), async (ctx) => {
    const f = await kit.flash(ctx);
    if (f) return page(ctx, 'user-new', 'users', f.data, f.status);
    page(ctx, 'user-new', 'users', {
      values: { login: '', displayName: '', email: '', roles: [], passwordManaged: 'local' },
    });
  });

  router.post('/users/new', posted, requireAdmin, need('users.write'), async (ctx) => {
    const values = userFormValues(form(ctx));
    // Post/redirect/get when refused: the form shows the messages and what was typed (no password) once.
    await kit.attempt(
      ctx,
      '/admin/users/new',
      async () => {
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
      },
      (errors) => ({ values, errors }),
    );
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
    const f = await kit.flash(ctx);
    await userPage(ctx, userId(ctx), f?.data, f?.status);
  });

  /** Post/redirect/get for the user page's forms: what the refused post would show, once, on its GET. */
  const onUser = (
    ctx: Context,
    id: string,
    run: () => Promise<unknown>,
    data?: (errors: Record<string, string>) => Record<string, unknown>,
  ) => kit.attempt(ctx, `/admin/users/${id}`, run, data);

  router.post('/users/:id', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    const v = userFormValues(form(ctx));
    await onUser(
      ctx,
      id,
      async () => {
        await svc.updateUser(adminDeps, actorOf(ctx), id, {
          displayName: v.displayName,
          email: v.email,
          roles: v.roles,
          passwordManaged: v.passwordManaged,
        });
        ctx.redirect(`/admin/users/${id}?done=updated`);
      },
      (errors) => ({ values: v, errors }),
    );
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
    await onUser(ctx, id, async () => {
      const r = await svc.deleteUser(adminDeps, actorOf(ctx), id);
      ctx.redirect(`/admin/users?${new URLSearchParams({ done: 'deleted', login: r.deleted })}`);
    });
  });

  router.post('/users/:id/reset-password', posted, requireAdmin, need('users.write'), async (ctx) => {
    const id = userId(ctx);
    await onUser(ctx, id, async () => {
      const r = await svc.resetPassword(adminDeps, actorOf(ctx), id);
      page(ctx, 'user-secret', 'users', {
        user: r.user,
        temporaryPassword: r.temporaryPassword,
        notice: ctx.state.t('admin.user.done.reset'),
      });
    });
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
    const { _csrf: _, ...typed } = f;
    await onUser(
      ctx,
      id,
      async () => {
        await contacts.setContactMethods(adminDeps, actorOf(ctx), id, body);
        ctx.redirect(`/admin/users/${id}?done=contacts`);
      },
      (errors) => ({ contactValues: typed, contactErrors: errors }),
    );
  });

  router.post('/users/:id/:action', posted, requireAdmin, async (ctx) => {
    const id = userId(ctx);
    const action = USER_ACTIONS[ctx.params.action];
    if (!action) throw new AppError('not_found', 404, 'error.http.404');
    if (!can(actorOf(ctx), action.permission)) throw new AppError('forbidden', 403, 'admin.error.forbidden');
    await onUser(ctx, id, async () => {
      await action.run(actorOf(ctx), id);
      ctx.redirect(`/admin/users/${id}?done=${action.done}`);
    });
  });
}

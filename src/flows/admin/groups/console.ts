import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import { type ConsoleKit, UUID } from '../console-kit.ts';
import { readPolicy } from '../policy/service.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** The console's groups pages (mounted by ../console.ts in this order). */
export function groupsConsole(kit: ConsoleKit): void {
  const { deps, adminDeps, router, page, requireAdmin, need, posted, form, actorOf, flash, attempt } = kit;

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
    // A failed post left its message and the name typed here (post/redirect/get).
    const f = await flash(ctx);
    await groupsPage(
      ctx,
      {
        notice: ctx.query.done === 'deleted' ? ctx.state.t('admin.client.deleted') : undefined,
        ...f?.data,
      },
      f?.status,
    );
  });

  router.post('/groups', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const name = (form(ctx).name ?? '').slice(0, 200);
    await attempt(
      ctx,
      '/admin/groups',
      async () => {
        const g = await svc.createGroup(adminDeps, actorOf(ctx), { name });
        ctx.redirect(`/admin/groups/${g.id}`);
      },
      (errors) => ({ name, errors }),
    );
  });

  const groupId = (ctx: Context) => {
    if (!UUID.test(ctx.params.id)) throw new AppError('group.not_found', 404, 'admin.error.groupNotFound');
    return ctx.params.id;
  };

  async function groupPage(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const r = await svc.groupMembers(adminDeps, actorOf(ctx), groupId(ctx));
    const policy = await readPolicy(deps.db);
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
    const f = await flash(ctx);
    await groupPage(ctx, f?.data, f?.status);
  });

  router.post('/groups/:id/members', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    const login = (form(ctx).login ?? '').trim().slice(0, 256);
    await attempt(
      ctx,
      `/admin/groups/${id}`,
      async () => {
        if (!login) throw new FieldError({ login: { key: 'admin.field.required' } });
        try {
          await svc.addGroupMember(adminDeps, actorOf(ctx), id, login);
        } catch (err) {
          // An unknown login is a message beside the field, not a page of its own.
          if (err instanceof AppError && err.code === 'user.not_found')
            throw new FieldError({ login: { key: 'admin.error.userNotFound' } });
          throw err;
        }
        ctx.redirect(`/admin/groups/${id}`);
      },
      (errors) => ({ login, errors }),
    );
  });

  router.post('/groups/:id/members/:user/remove', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    if (!UUID.test(ctx.params.user)) throw new AppError('user.not_found', 404, 'admin.error.userNotFound');
    await svc.removeGroupMember(adminDeps, actorOf(ctx), id, ctx.params.user);
    ctx.redirect(`/admin/groups/${id}`);
  });

  router.post('/groups/:id/delete', posted, requireAdmin, need('groups.write'), async (ctx) => {
    const id = groupId(ctx);
    await attempt(ctx, `/admin/groups/${id}`, async () => {
      await svc.deleteGroup(adminDeps, actorOf(ctx), id);
      ctx.redirect('/admin/groups?done=deleted');
    });
  });
}

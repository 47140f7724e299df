import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import { type ConsoleKit, UUID } from '../console-kit.ts';
import { readPolicy } from '../policy/service.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** The console's groups pages (mounted by ../console.ts in this order). */
export function groupsConsole(kit: ConsoleKit): void {
  const { deps, adminDeps, router, page, requireAdmin, need, posted, form, actorOf, fieldsOf } = kit;
  const { failed, flash } = kit;

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
    try {
      const g = await svc.createGroup(adminDeps, actorOf(ctx), { name });
      ctx.redirect(`/admin/groups/${g.id}`);
    } catch (err) {
      if (!(err instanceof FieldError)) throw err;
      await failed(ctx, '/admin/groups', { name, errors: fieldsOf(ctx, err) }, err.status);
    }
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
    try {
      if (!login) throw new FieldError({ login: { key: 'admin.field.required' } });
      await svc.addGroupMember(adminDeps, actorOf(ctx), id, login);
      ctx.redirect(`/admin/groups/${id}`);
    } catch (err) {
      if (err instanceof AppError && err.code === 'user.not_found') {
        return failed(
          ctx,
          `/admin/groups/${id}`,
          { login, errors: { login: ctx.state.t('admin.error.userNotFound') } },
          400,
        );
      }
      if (!(err instanceof FieldError)) throw err;
      await failed(ctx, `/admin/groups/${id}`, { login, errors: fieldsOf(ctx, err) }, err.status);
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
      await failed(
        ctx,
        `/admin/groups/${id}`,
        { actionError: Object.values(fieldsOf(ctx, err)).join(' ') },
        err.status,
      );
    }
  });
}

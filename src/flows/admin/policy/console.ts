import type { Context } from 'koa';
import { listGroups } from '../../../store/groups.ts';
import type { ConsoleKit } from '../console-kit.ts';
import { can } from '../permissions.ts';
import {
  fieldHint,
  fieldLabel,
  fieldValue,
  formToPolicy,
  optionLabel,
  policyFields,
  SECTION_ORDER,
  sectionLabel,
} from '../policy-form.ts';
import * as svc from './service.ts';

/** The console's policy pages (mounted by ../console.ts in this order). */
export function policyConsole(kit: ConsoleKit): void {
  const { deps, adminDeps, router, page, requireAdmin, need, posted, form, actorOf, flash } = kit;

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
    const f = await flash(ctx);
    if (f) {
      const values = (f.data.values ?? {}) as Record<string, unknown>;
      const errors = (f.data.errors ?? {}) as Record<string, string>;
      return policyPage(ctx, values, errors, undefined, f.status);
    }
    await policyPage(ctx, {}, {}, notice);
  });

  router.post('/policy', posted, requireAdmin, need('policy.write'), async (ctx) => {
    const policy = await svc.readPolicy(deps.db);
    const groups = (await listGroups(deps.db)).map((g) => g.name);
    const values = formToPolicy(policyFields(groups, policy), form(ctx));
    // Post/redirect/get when refused: the editor shows the messages and what was typed once, on its GET.
    await kit.attempt(
      ctx,
      '/admin/policy',
      async () => {
        const r = await svc.updatePolicy(adminDeps, actorOf(ctx), values);
        ctx.redirect(`/admin/policy?done=saved&changed=${encodeURIComponent(r.changed.join(','))}`);
      },
      (errors) => ({ values, errors }),
    );
  });
}

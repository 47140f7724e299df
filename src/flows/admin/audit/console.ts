import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { AppError } from '../../../http/errors.ts';
import { AUDIT_ACTIVITY_CODES, activityLabel, resultTone } from '../../../i18n/activity.ts';
import type { MessageKey } from '../../../i18n/index.ts';
import type { ConsoleKit } from '../console-kit.ts';
import { FieldError } from '../validation.ts';
import * as svc from './service.ts';

/** The console's audit pages (mounted by ../console.ts in this order). */
export function auditConsole(kit: ConsoleKit): void {
  const { deps, adminDeps, router, page, requireAdmin, need, actorOf, fieldsOf } = kit;

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
}

import type { MessageKey } from '../../../i18n/index.ts';
import { barChart, columnChart } from '../charts.ts';
import { type ConsoleKit, methodLabel } from '../console-kit.ts';
import { loadReport } from '../reports.ts';

/** The console's reports pages (mounted by ../console.ts in this order). */
export function reportsConsole(kit: ConsoleKit): void {
  const { deps, router, page, requireAdmin, need } = kit;

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
}

import { Readable } from 'node:stream';
import { type AdminApiDeps, type ApiRoute, RAW } from '../api-route.ts';
import * as svc from './service.ts';

/** The admin API's audit operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function auditApi(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/audit',
      operationId: 'listAudit',
      summary:
        'Audit events, newest first, filtered by time range, user, activity and result; page with `before`',
      tag: 'audit',
      permission: 'audit.read',
      query: svc.auditQuerySchema,
      response: { status: 200, schema: 'AuditList' },
      handler: ({ ctx, actor }) => svc.listAuditEvents(d, actor, svc.parseAuditQuery(ctx.query)),
    },
    {
      method: 'get',
      path: '/audit.csv',
      operationId: 'exportAudit',
      summary: 'The same filtered events as CSV (UTF-8 with BOM; formula-like cells are quoted)',
      tag: 'audit',
      permission: 'audit.read',
      query: svc.auditQuerySchema.omit({ limit: true, before: true }),
      response: { status: 200, schema: 'csv' },
      handler: async ({ ctx, actor }) => {
        const lines = await svc.exportAuditCsv(d, actor, svc.parseAuditQuery(ctx.query));
        ctx.type = 'text/csv; charset=utf-8';
        ctx.attachment(`audit-${d.clock.now().toISOString().slice(0, 10)}.csv`);
        ctx.body = Readable.from(lines);
        return RAW;
      },
    },
  ];
}

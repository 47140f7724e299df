import { type ApiRoute, resourceApi, sendCsv, withRequest } from '../api-route.ts';
import * as svc from './service.ts';

const r = resourceApi('audit', {
  listAudit:
    'Audit events, newest first, filtered by time range, user, activity and result; page with `before`',
  exportAudit: 'The same filtered events as CSV (UTF-8 with BOM; formula-like cells are quoted)',
});

/** The admin API's audit operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const auditApi: ApiRoute[] = [
  r.get('/audit', 'listAudit', 'AuditList', svc.listAuditEvents, {
    query: svc.auditQuerySchema,
    parse: svc.parseAuditQuery,
  }),
  r.get(
    '/audit.csv',
    'exportAudit',
    'csv',
    withRequest(async (req) =>
      sendCsv(
        req,
        'audit',
        await svc.exportAuditCsv(req.deps, req.actor, svc.parseAuditQuery(req.ctx.query)),
      ),
    ),
    { query: svc.auditQuerySchema.omit({ limit: true, before: true }) },
  ),
];

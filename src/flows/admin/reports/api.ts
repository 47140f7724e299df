import type { AdminApiDeps, ApiRoute } from '../api-route.ts';
import { reportData } from '../reports.ts';

/** The admin API's reports operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function reportsApi(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/reports',
      operationId: 'getReports',
      summary: 'Registration, methods per kind, resets per day and per method, and reset outcomes (30 days)',
      tag: 'reports',
      permission: 'reports.read',
      response: { status: 200, schema: 'Reports' },
      handler: ({ actor }) => reportData(d, actor),
    },
  ];
}

import { type ApiRoute, resourceApi } from '../api-route.ts';
import { reportData } from '../reports.ts';

const r = resourceApi('reports', {
  getReports: 'Registration, methods per kind, resets per day and per method, and reset outcomes (30 days)',
});

/** The admin API's reports operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const reportsApi: ApiRoute[] = [r.get('/reports', 'getReports', 'Reports', reportData)];

import { policySchema } from '../../../policy/settings.ts';
import { type ApiRoute, resourceApi } from '../api-route.ts';
import * as svc from './service.ts';

const r = resourceApi('policy', {
  getPolicy: 'Read the policy (every setting of SSPR.md §2, with defaults filled in)',
  updatePolicy: 'Change some settings; takes effect at once and is audited with before and after values',
});

/** The admin API's policy operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const policyApi: ApiRoute[] = [
  r.get('/policy', 'getPolicy', 'Policy', svc.getPolicy),
  r.patch('/policy', 'updatePolicy', 'PolicyUpdate', svc.updatePolicy, { body: policySchema.partial() }),
];

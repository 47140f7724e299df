import { policySchema } from '../../../policy/settings.ts';
import type { AdminApiDeps, ApiRoute } from '../api-route.ts';
import * as svc from './service.ts';

/** The admin API's policy operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function policyApi(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/policy',
      operationId: 'getPolicy',
      summary: 'Read the policy (every setting of SSPR.md §2, with defaults filled in)',
      tag: 'policy',
      permission: 'policy.read',
      response: { status: 200, schema: 'Policy' },
      handler: ({ actor }) => svc.getPolicy(d, actor),
    },
    {
      method: 'patch',
      path: '/policy',
      operationId: 'updatePolicy',
      summary: 'Change some settings; takes effect at once and is audited with before and after values',
      tag: 'policy',
      permission: 'policy.write',
      body: policySchema.partial(),
      response: { status: 200, schema: 'PolicyUpdate' },
      handler: ({ actor, body }) => svc.updatePolicy(d, actor, body),
    },
  ];
}

import { type ApiRoute, resourceApi } from '../api-route.ts';
import * as svc from './service.ts';

const r = resourceApi('clients', {
  listApis: 'List APIs (resource servers) and the applications granted access to each',
  createApi: 'Register an API: its identifier (the resource indicator), scopes and token format',
  getApi: 'One API (its identifier percent-encoded in the path)',
  updateApi: 'Change an API; a scope it stops defining leaves every grant at once',
  deleteApi: 'Delete an API and every grant on it',
  grantApi: 'Grant an application scopes on an API (client credentials tokens), replacing its grant',
  revokeApiGrant: 'Withdraw an application’s grant on an API; tokens already issued run out',
});
const api = '/apis/{api}';
const grant = '/apis/{api}/grants/{clientId}';

/** The admin API's APIs operations (listed by ../api.ts after the clients', in one OpenAPI document). */
export const apisApi: ApiRoute[] = [
  r.get('/apis', 'listApis', 'ApiList', async (d, a) => ({ apis: await svc.listAllApis(d, a) })),
  r.post('/apis', 'createApi', 'Api', svc.createApi, { body: svc.createApiSchema, status: 201 }),
  r.get(api, 'getApi', 'Api', svc.getApi),
  r.patch(api, 'updateApi', 'Api', svc.updateApi, { body: svc.updateApiSchema }),
  r.delete(api, 'deleteApi', 'empty', svc.deleteApi),
  r.put(grant, 'grantApi', 'Api', svc.grantApi, { body: svc.grantApiSchema }),
  r.delete(grant, 'revokeApiGrant', 'MembershipChange', svc.revokeApiGrant),
];

import type { AdminApiDeps, ApiRoute } from '../api-route.ts';
import * as svc from './service.ts';

/** The admin API's clients operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function clientsApi(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/clients',
      operationId: 'listClients',
      summary: 'List applications (OpenID Connect clients); secrets are never returned',
      tag: 'clients',
      permission: 'clients.read',
      response: { status: 200, schema: 'ClientList' },
      handler: async ({ actor }) => ({ clients: await svc.listAllClients(d, actor) }),
    },
    {
      method: 'post',
      path: '/clients',
      operationId: 'createClient',
      summary: 'Register an application; a confidential client gets a secret, returned once',
      tag: 'clients',
      permission: 'clients.write',
      body: svc.createClientSchema,
      response: { status: 201, schema: 'ClientWithSecret' },
      handler: ({ actor, body }) => svc.createClient(d, actor, body),
    },
    {
      method: 'get',
      path: '/clients/{clientId}',
      operationId: 'getClient',
      summary: 'One application',
      tag: 'clients',
      permission: 'clients.read',
      response: { status: 200, schema: 'Client' },
      handler: ({ actor, params }) => svc.getClient(d, actor, params.clientId),
    },
    {
      method: 'patch',
      path: '/clients/{clientId}',
      operationId: 'updateClient',
      summary: 'Change redirect URIs, grant types, name, scopes or first-party status',
      tag: 'clients',
      permission: 'clients.write',
      body: svc.updateClientSchema,
      response: { status: 200, schema: 'Client' },
      handler: ({ actor, params, body }) => svc.updateClient(d, actor, params.clientId, body),
    },
    {
      method: 'post',
      path: '/clients/{clientId}/rotate-secret',
      operationId: 'rotateClientSecret',
      summary: 'Replace the secret (returned once); tokens already issued stay valid until they expire',
      tag: 'clients',
      permission: 'clients.write',
      response: { status: 200, schema: 'ClientWithSecret' },
      handler: ({ actor, params }) => svc.rotateClientSecret(d, actor, params.clientId),
    },
    {
      method: 'delete',
      path: '/clients/{clientId}',
      operationId: 'deleteClient',
      summary: 'Delete an application',
      tag: 'clients',
      permission: 'clients.write',
      response: { status: 204, schema: 'empty' },
      handler: ({ actor, params }) => svc.deleteClient(d, actor, params.clientId),
    },
  ];
}

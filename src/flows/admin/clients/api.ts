import { type ApiRoute, resourceApi } from '../api-route.ts';
import * as svc from './service.ts';

const r = resourceApi('clients', {
  listClients: 'List applications (OpenID Connect clients); secrets are never returned',
  createClient: 'Register an application; a confidential client gets a secret, returned once',
  getClient: 'One application',
  updateClient: 'Change redirect URIs, grant types, name, scopes or first-party status',
  rotateClientSecret:
    'Replace the secret (returned once); tokens already issued stay valid until they expire',
  deleteClient: 'Delete an application',
});
const client = '/clients/{clientId}';

/** The admin API's clients operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const clientsApi: ApiRoute[] = [
  r.get('/clients', 'listClients', 'ClientList', async (d, a) => ({
    clients: await svc.listAllClients(d, a),
  })),
  r.post('/clients', 'createClient', 'ClientWithSecret', svc.createClient, {
    body: svc.createClientSchema,
    status: 201,
  }),
  r.get(client, 'getClient', 'Client', svc.getClient),
  r.patch(client, 'updateClient', 'Client', svc.updateClient, { body: svc.updateClientSchema }),
  r.post(`${client}/rotate-secret`, 'rotateClientSecret', 'ClientWithSecret', svc.rotateClientSecret),
  r.delete(client, 'deleteClient', 'empty', svc.deleteClient),
];

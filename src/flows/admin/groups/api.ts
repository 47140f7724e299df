import { type ApiRoute, resourceApi } from '../api-route.ts';
import * as svc from './service.ts';

const r = resourceApi('groups', {
  listGroups: 'List groups with member counts',
  createGroup: 'Create a group',
  deleteGroup: 'Delete a group (by id or name); refused while the reset policy names it',
  listGroupMembers: 'The members of a group',
  addGroupMember: 'Add a user (by id or login) to a group',
  removeGroupMember: 'Remove a user from a group',
});
const member = '/groups/{group}/members/{user}';

/** The admin API's groups operations (listed by ../api.ts in this order, in one OpenAPI document). */
export const groupsApi: ApiRoute[] = [
  r.get('/groups', 'listGroups', 'GroupList', async (d, a) => ({ groups: await svc.listAllGroups(d, a) })),
  r.post('/groups', 'createGroup', 'Group', svc.createGroup, { body: svc.groupSchema, status: 201 }),
  r.delete('/groups/{group}', 'deleteGroup', 'empty', svc.deleteGroup),
  r.get('/groups/{group}/members', 'listGroupMembers', 'GroupMembers', async (d, a, group) => {
    const { group: g, members } = await svc.groupMembers(d, a, group);
    return { group: { id: g.id, name: g.name }, members };
  }),
  r.put(member, 'addGroupMember', 'MembershipChange', async (d, a, group, user) => ({
    changed: await svc.addGroupMember(d, a, group, user),
  })),
  r.delete(member, 'removeGroupMember', 'MembershipChange', async (d, a, group, user) => ({
    changed: await svc.removeGroupMember(d, a, group, user),
  })),
];

import type { AdminApiDeps, ApiRoute } from '../api-route.ts';
import * as svc from './service.ts';

/** The admin API's groups operations (listed by ../api.ts in this order, in one OpenAPI document). */
export function groupsApi(d: AdminApiDeps): ApiRoute[] {
  return [
    {
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List groups with member counts',
      tag: 'groups',
      permission: 'groups.read',
      response: { status: 200, schema: 'GroupList' },
      handler: async ({ actor }) => ({ groups: await svc.listAllGroups(d, actor) }),
    },
    {
      method: 'post',
      path: '/groups',
      operationId: 'createGroup',
      summary: 'Create a group',
      tag: 'groups',
      permission: 'groups.write',
      body: svc.groupSchema,
      response: { status: 201, schema: 'Group' },
      handler: ({ actor, body }) => svc.createGroup(d, actor, body),
    },
    {
      method: 'delete',
      path: '/groups/{group}',
      operationId: 'deleteGroup',
      summary: 'Delete a group (by id or name); refused while the reset policy names it',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 204, schema: 'empty' },
      handler: ({ actor, params }) => svc.deleteGroup(d, actor, params.group),
    },
    {
      method: 'get',
      path: '/groups/{group}/members',
      operationId: 'listGroupMembers',
      summary: 'The members of a group',
      tag: 'groups',
      permission: 'groups.read',
      response: { status: 200, schema: 'GroupMembers' },
      handler: async ({ actor, params }) => {
        const r = await svc.groupMembers(d, actor, params.group);
        return { group: { id: r.group.id, name: r.group.name }, members: r.members };
      },
    },
    {
      method: 'put',
      path: '/groups/{group}/members/{user}',
      operationId: 'addGroupMember',
      summary: 'Add a user (by id or login) to a group',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 200, schema: 'MembershipChange' },
      handler: async ({ actor, params }) => ({
        changed: await svc.addGroupMember(d, actor, params.group, params.user),
      }),
    },
    {
      method: 'delete',
      path: '/groups/{group}/members/{user}',
      operationId: 'removeGroupMember',
      summary: 'Remove a user from a group',
      tag: 'groups',
      permission: 'groups.write',
      response: { status: 200, schema: 'MembershipChange' },
      handler: async ({ actor, params }) => ({
        changed: await svc.removeGroupMember(d, actor, params.group, params.user),
      }),
    },
  ];
}

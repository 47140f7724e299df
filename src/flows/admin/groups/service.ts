import { z } from 'zod';
import type { Tx } from '../../../db/knex.ts';
import {
  deleteGroup as deleteGroupRow,
  findGroupById,
  listMembers,
  type Member,
  removeMember as removeMemberRow,
} from '../../../store/directory.ts';
import {
  addMember as addMemberRow,
  createGroup as createGroupRow,
  findGroupByName,
  type Group,
  listGroups,
} from '../../../store/groups.ts';
import { DuplicateError } from '../../../store/users.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { readPolicy } from '../policy/service.ts';
import { type AdminDeps, audit, conflict, notFound, UUID } from '../shared.ts';
import { resolveUser } from '../users/service.ts';
import { parseOrThrow } from '../validation.ts';

export async function resolveGroup(db: Tx, ref: string): Promise<Group> {
  const g = UUID.test(ref)
    ? await findGroupById(db, ref)
    : ref.length <= 100
      ? await findGroupByName(db, ref)
      : undefined;
  if (!g) throw notFound('group');
  return g;
}

export interface GroupSummary {
  id: string;
  name: string;
  members: number;
  createdAt: string;
  /** Named by the reset policy's "selected groups". */
  inResetPolicy: boolean;
}

export async function listAllGroups(deps: AdminDeps, actor: Actor): Promise<GroupSummary[]> {
  requirePermission(actor, 'groups.read');
  const policy = await readPolicy(deps.db);
  return (await listGroups(deps.db)).map((g) => ({
    id: g.id,
    name: g.name,
    members: g.members,
    createdAt: g.createdAt.toISOString(),
    inResetPolicy: policy.resetGroups.includes(g.name),
  }));
}

export const groupSchema = z.object({ name: z.string().trim().min(1).max(100) }).strict();

export async function createGroup(deps: AdminDeps, actor: Actor, input: unknown): Promise<GroupSummary> {
  requirePermission(actor, 'groups.write');
  const { name } = parseOrThrow(groupSchema, input);
  try {
    return await deps.db.transaction(async (trx) => {
      const g = await createGroupRow(trx, name, deps.clock.now());
      await audit(trx, deps, actor, 'admin.group.create', null, { group: g.name, groupId: g.id });
      return {
        id: g.id,
        name: g.name,
        members: 0,
        createdAt: g.createdAt.toISOString(),
        inResetPolicy: false,
      };
    });
  } catch (err) {
    if (err instanceof DuplicateError) throw conflict('group.exists', 'admin.group.nameTaken', 'name');
    throw err;
  }
}

/** A group the reset policy names cannot be deleted: its members would silently lose password reset. */
export async function deleteGroup(deps: AdminDeps, actor: Actor, ref: string): Promise<void> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, ref);
  const policy = await readPolicy(deps.db);
  if (policy.resetGroups.includes(g.name)) throw conflict('group.in_use', 'admin.group.inUse');
  await deps.db.transaction(async (trx) => {
    await deleteGroupRow(trx, g.id);
    await audit(trx, deps, actor, 'admin.group.delete', null, { group: g.name, groupId: g.id });
  });
}

export async function groupMembers(
  deps: AdminDeps,
  actor: Actor,
  ref: string,
): Promise<{ group: Group; members: Member[] }> {
  requirePermission(actor, 'groups.read');
  const group = await resolveGroup(deps.db, ref);
  return { group, members: await listMembers(deps.db, group.id) };
}

export async function addGroupMember(
  deps: AdminDeps,
  actor: Actor,
  groupRef: string,
  userRef: string,
): Promise<boolean> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, groupRef);
  const u = await resolveUser(deps.db, userRef);
  return deps.db.transaction(async (trx) => {
    const added = await addMemberRow(trx, g.id, u.id);
    await audit(trx, deps, actor, 'admin.group.add_member', u.id, { group: g.name, groupId: g.id, added });
    return added;
  });
}

export async function removeGroupMember(
  deps: AdminDeps,
  actor: Actor,
  groupRef: string,
  userRef: string,
): Promise<boolean> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, groupRef);
  const u = await resolveUser(deps.db, userRef);
  return deps.db.transaction(async (trx) => {
    const removed = await removeMemberRow(trx, g.id, u.id);
    await audit(trx, deps, actor, 'admin.group.remove_member', u.id, {
      group: g.name,
      groupId: g.id,
      removed,
    });
    return removed;
  });
}

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
import { type Actor, requirePermission } from '../permissions.ts';
import { readPolicy } from '../policy/service.ts';
import { type AdminDeps, audit, conflict, resolveRef, writeUnique } from '../shared.ts';
import { resolveUser } from '../users/service.ts';
import { parseOrThrow } from '../validation.ts';

export function resolveGroup(db: Tx, ref: string): Promise<Group> {
  return resolveRef('group', db, ref, 100, findGroupById, findGroupByName);
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
  return writeUnique(deps.db, ['group.exists', 'admin.group.nameTaken', 'name'], async (trx) => {
    const g = await createGroupRow(trx, name, deps.clock.now());
    await audit(trx, deps, actor, 'admin.group.create', null, { group: g.name, groupId: g.id });
    return { id: g.id, name: g.name, members: 0, createdAt: g.createdAt.toISOString(), inResetPolicy: false };
  });
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

/** Adds a user to a group or removes them; whether that changed anything, audited either way. */
async function changeMembership(
  deps: AdminDeps,
  actor: Actor,
  change: 'add' | 'remove',
  groupRef: string,
  userRef: string,
): Promise<boolean> {
  requirePermission(actor, 'groups.write');
  const g = await resolveGroup(deps.db, groupRef);
  const u = await resolveUser(deps.db, userRef);
  return deps.db.transaction(async (trx) => {
    const changed = await (change === 'add' ? addMemberRow : removeMemberRow)(trx, g.id, u.id);
    await audit(trx, deps, actor, `admin.group.${change}_member`, u.id, {
      group: g.name,
      groupId: g.id,
      [change === 'add' ? 'added' : 'removed']: changed,
    });
    return changed;
  });
}

export const addGroupMember = (deps: AdminDeps, actor: Actor, groupRef: string, userRef: string) =>
  changeMembership(deps, actor, 'add', groupRef, userRef);

export const removeGroupMember = (deps: AdminDeps, actor: Actor, groupRef: string, userRef: string) =>
  changeMembership(deps, actor, 'remove', groupRef, userRef);

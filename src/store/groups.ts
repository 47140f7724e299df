import crypto from 'node:crypto';
import type { Tx } from '../db/knex.ts';
import { DuplicateError } from './users.ts';

export interface Group {
  id: string;
  name: string;
  createdAt: Date;
}

export async function createGroup(db: Tx, name: string, now: Date): Promise<Group> {
  const rows = await db('groups')
    .insert({ id: crypto.randomUUID(), name, created_at: now })
    .onConflict('name')
    .ignore()
    .returning('*');
  if (!rows.length) throw new DuplicateError(`group ${name} exists`);
  return { id: rows[0].id, name: rows[0].name, createdAt: new Date(rows[0].created_at) };
}

export async function findGroupByName(db: Tx, name: string): Promise<Group | undefined> {
  const r = await db('groups').where({ name }).first();
  return r ? { id: r.id, name: r.name, createdAt: new Date(r.created_at) } : undefined;
}

export async function listGroups(db: Tx): Promise<(Group & { members: number })[]> {
  const rows = await db('groups')
    .leftJoin('group_members', 'groups.id', 'group_members.group_id')
    .groupBy('groups.id')
    .orderBy('groups.name')
    .select('groups.*', db.raw('count(group_members.user_id) as members'));
  return rows.map((r: any) => ({
    id: r.id,
    name: r.name,
    createdAt: new Date(r.created_at),
    members: Number(r.members),
  }));
}

/** Returns false when the user already was a member. */
export async function addMember(db: Tx, groupId: string, userId: string): Promise<boolean> {
  const rows = await db('group_members')
    .insert({ group_id: groupId, user_id: userId })
    .onConflict(['group_id', 'user_id'])
    .ignore()
    .returning('user_id');
  return rows.length > 0;
}

export async function groupNamesOf(db: Tx, userId: string): Promise<string[]> {
  const rows = await db('group_members')
    .join('groups', 'groups.id', 'group_members.group_id')
    .where({ user_id: userId })
    .orderBy('name')
    .select('name');
  return rows.map((r: any) => r.name);
}

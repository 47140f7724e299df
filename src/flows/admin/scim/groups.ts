import {
  existingUserIds,
  findScimGroup,
  membersOfGroups,
  type ScimFilter,
  type ScimGroup,
  type ScimMember,
  touchGroup,
  updateScimGroup,
} from '../../../store/scim.ts';
import { DuplicateError } from '../../../store/users.ts';
import type { Actor } from '../permissions.ts';
import * as svc from '../service.ts';
import { audit } from '../shared.ts';
import { ScimError } from './errors.ts';
import { CORE_GROUP, matchesElement } from './filter.ts';
import { applyPatch, type PatchOperation, parsePath } from './patch.ts';
import { member, resourceHead, type ScimDeps, scimLocation, withMeta } from './users.ts';

/*
 * The SCIM Group resource (RFC 7643 §4.2): displayName ↔ the group's name, externalId stored,
 * members (value = user id) added and removed through the admin services (each change audited).
 * A group named by the reset policy keeps its name (renaming it would drop its members from reset).
 */

/** The most members one group representation lists (and one PUT or PATCH compares). */
export const MAX_MEMBERS = 10_000;

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  /** Undefined: not given (PATCH without member operations). */
  members?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function groupResource(
  issuer: string,
  g: ScimGroup,
  members: readonly ScimMember[] | undefined,
): Record<string, unknown> {
  const r: Record<string, unknown> = {
    ...resourceHead(CORE_GROUP, g),
    displayName: g.name,
    ...(members
      ? {
          members: members.map((m) => ({
            value: m.id,
            display: m.displayName || m.login,
            type: 'User',
            $ref: scimLocation(issuer, 'Users', m.id),
          })),
        }
      : {}),
  };
  return withMeta(r, 'Group', g, scimLocation(issuer, 'Groups', g.id), !!members);
}

function memberIds(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (list.length > MAX_MEMBERS)
    throw new ScimError(400, 'tooMany', 'scim.error.tooManyMembers', { max: MAX_MEMBERS });
  return list.map((m) => {
    const id = isObject(m) ? member(m, 'value') : undefined;
    if (typeof id !== 'string' || !id)
      throw new ScimError(400, 'invalidValue', 'scim.error.list', { attr: 'members' });
    return id.toLowerCase();
  });
}

export function readGroup(body: unknown): GroupInput {
  if (!isObject(body)) throw new ScimError(400, 'invalidSyntax', 'scim.error.notObject');
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(CORE_GROUP))
    throw new ScimError(400, 'invalidSyntax', 'scim.error.schemas', { urn: CORE_GROUP });
  const name = member(body, 'displayName');
  if (typeof name !== 'string' || !name.trim() || name.length > 100)
    throw new ScimError(400, 'invalidValue', 'scim.error.required', { attr: 'displayName' });
  const ext = member(body, 'externalId');
  if (ext !== undefined && ext !== null && (typeof ext !== 'string' || ext.length > 256))
    throw new ScimError(400, 'invalidValue', 'scim.error.string', { attr: 'externalId' });
  const members = member(body, 'members');
  return {
    displayName: name.trim(),
    externalId: (ext as string | null | undefined) || null,
    ...(members !== undefined ? { members: memberIds(members) } : {}),
  };
}

export async function loadScimGroup(d: ScimDeps, id: string): Promise<ScimGroup> {
  const g = await findScimGroup(d.db, id);
  if (!g) throw new ScimError(404, undefined, 'scim.error.notFound', { id });
  return g;
}

export async function membersOf(d: ScimDeps, groupId: string): Promise<ScimMember[]> {
  return (await membersOfGroups(d.db, [groupId], MAX_MEMBERS)).get(groupId) ?? [];
}

async function checkMembers(d: ScimDeps, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  const known = await existingUserIds(d.db, ids);
  const unknown = ids.filter((i) => !known.has(i));
  if (unknown.length)
    throw new ScimError(400, 'invalidValue', 'scim.error.unknownMembers', {
      ids: unknown.slice(0, 5).join(', '),
    });
}

/** Renames a group and sets its externalId (one audit event), then adds and removes members. */
async function writeGroup(
  d: ScimDeps,
  actor: Actor,
  g: ScimGroup,
  next: { displayName: string; externalId: string | null },
  add: readonly string[],
  remove: readonly string[],
): Promise<void> {
  await checkMembers(d, add);
  const renamed = next.displayName !== g.name;
  if (renamed && (await svc.readPolicy(d.db)).resetGroups.includes(g.name))
    throw new ScimError(400, 'mutability', 'scim.error.groupInPolicy');
  if (renamed || next.externalId !== g.externalId) {
    try {
      await d.db.transaction(async (trx) => {
        await updateScimGroup(
          trx,
          g.id,
          { name: next.displayName, externalId: next.externalId },
          d.clock.now(),
        );
        await audit(trx, d, actor, 'admin.group.update', null, {
          groupId: g.id,
          group: next.displayName,
          ...(renamed ? { before: { name: g.name }, after: { name: next.displayName } } : {}),
          ...(next.externalId !== g.externalId ? { externalId: next.externalId } : {}),
        });
      });
    } catch (err) {
      if (err instanceof DuplicateError) throw new ScimError(409, 'uniqueness', 'admin.group.nameTaken');
      throw err;
    }
  }
  for (const id of new Set(add)) await svc.addGroupMember(d, actor, g.id, id);
  // Only users that exist can be removed (a value naming nobody removes nothing).
  const gone = await existingUserIds(d.db, [...new Set(remove)]);
  for (const id of gone) await svc.removeGroupMember(d, actor, g.id, id);
  if (add.length || gone.size) await touchGroup(d.db, g.id, d.clock.now());
}

export async function createScimGroup(d: ScimDeps, actor: Actor, input: GroupInput): Promise<string> {
  await checkMembers(d, input.members ?? []);
  const created = await svc.createGroup(d, actor, { name: input.displayName });
  const g = (await findScimGroup(d.db, created.id))!;
  await writeGroup(
    d,
    actor,
    g,
    { displayName: g.name, externalId: input.externalId },
    input.members ?? [],
    [],
  );
  return g.id;
}

export async function replaceScimGroup(
  d: ScimDeps,
  actor: Actor,
  g: ScimGroup,
  input: GroupInput,
): Promise<void> {
  const wanted = new Set(input.members ?? []);
  const have = new Set((await membersOf(d, g.id)).map((m) => m.id));
  await writeGroup(
    d,
    actor,
    g,
    input,
    [...wanted].filter((i) => !have.has(i)),
    [...have].filter((i) => !wanted.has(i)),
  );
}

/** The user ids a filter such as `value eq "…" or value eq "…"` names, or undefined if it says more. */
function idsOfFilter(f: ScimFilter): string[] | undefined {
  if (f.op === 'or') {
    const a = idsOfFilter(f.left);
    const b = idsOfFilter(f.right);
    return a && b ? [...a, ...b] : undefined;
  }
  if (f.op === 'eq' && f.attr === 'members.value' && typeof f.value === 'string')
    return [f.value.toLowerCase()];
  return undefined;
}

/**
 * PATCH of a group. Operations on `members` add or remove exactly the named users (a large group is
 * not read for `add` or `remove … [value eq "…"]`); the others apply to displayName and externalId.
 */
export async function patchScimGroup(
  d: ScimDeps,
  actor: Actor,
  g: ScimGroup,
  ops: readonly PatchOperation[],
) {
  let doc: Record<string, unknown> = {
    schemas: [CORE_GROUP],
    displayName: g.name,
    ...(g.externalId ? { externalId: g.externalId } : {}),
  };
  const add = new Set<string>();
  const remove = new Set<string>();
  let current: Set<string> | undefined;
  const all = async () => {
    current ??= new Set((await membersOf(d, g.id)).map((m) => m.id));
    return current;
  };
  const plain: PatchOperation[] = [];
  const expanded: PatchOperation[] = [];
  for (const o of ops) {
    if (o.path || !isObject(o.value)) expanded.push(o);
    else
      for (const [k, v] of Object.entries(o.value)) expanded.push({ op: o.op, path: parsePath(k), value: v });
  }
  for (const o of expanded) {
    if (o.path?.attr !== 'members') {
      if (o.path && o.path.attr !== 'displayname' && o.path.attr !== 'externalid')
        throw new ScimError(400, 'invalidPath', 'scim.error.path', { detail: o.path.attr });
      plain.push(o);
      continue;
    }
    const p = o.path;
    if (o.op === 'add') {
      for (const id of memberIds(o.value)) {
        add.add(id);
        remove.delete(id);
      }
    } else if (o.op === 'replace' && !p.filter) {
      const wanted = new Set(memberIds(o.value));
      for (const id of await all()) if (!wanted.has(id)) remove.add(id);
      add.clear();
      for (const id of wanted) add.add(id);
    } else if (o.op === 'remove') {
      let ids: string[];
      if (p.filter) {
        ids =
          idsOfFilter(p.filter) ??
          [...(await all())].filter((id) => matchesElement({ value: id }, p.filter!, 'members.'));
      } else if (o.value !== undefined) ids = memberIds(o.value);
      else ids = [...(await all())];
      for (const id of ids) {
        remove.add(id);
        add.delete(id);
      }
    } else throw new ScimError(400, 'invalidPath', 'scim.error.path', { detail: 'members[…]' });
  }
  if (plain.length) doc = applyPatch(doc, plain, { displayname: 'displayName', externalid: 'externalId' });
  const next = readGroup(doc);
  await writeGroup(d, actor, g, next, [...add], [...remove]);
}

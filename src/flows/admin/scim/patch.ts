import type { ScimFilter } from '../../../store/scim.ts';
import { FilterSyntaxError, matchesElement, normalizeAttr, parseFilter } from './filter.ts';

/*
 * PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation: add, replace and remove, with
 * or without a path; paths `attr`, `attr.sub`, `attr[filter]` and `attr[filter].sub`. The result is
 * then written like a PUT, so PATCH and PUT share every check.
 */

export class PatchError extends Error {
  readonly scimType: 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidSyntax';
  constructor(scimType: PatchError['scimType'], message: string) {
    super(message);
    this.scimType = scimType;
  }
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MULTI = new Set(['emails', 'phonenumbers', 'members', 'groups']);
export const MAX_OPERATIONS = 100;

export interface PatchPath {
  /** The top-level attribute, lower-cased. */
  attr: string;
  sub?: string;
  filter?: ScimFilter;
}

export function parsePath(path: string): PatchPath {
  try {
    const open = path.indexOf('[');
    if (open < 0) {
      const [attr, sub, more] = normalizeAttr(path.trim()).split('.');
      if (more !== undefined) throw new FilterSyntaxError('too deep');
      return { attr, sub };
    }
    const close = path.lastIndexOf(']');
    if (close < open) throw new FilterSyntaxError('a [ is not closed');
    const attr = normalizeAttr(path.slice(0, open).trim());
    if (attr.includes('.')) throw new FilterSyntaxError('a value path names a top-level attribute');
    const filter = parseFilter(`${attr}[${path.slice(open + 1, close)}]`);
    const rest = path.slice(close + 1);
    if (rest && !/^\.[A-Za-z][\w$-]*$/.test(rest)) throw new FilterSyntaxError('bad sub-attribute');
    return { attr, filter, sub: rest ? rest.slice(1).toLowerCase() : undefined };
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new PatchError('invalidPath', `${path}: ${err.message}`);
    throw err;
  }
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: PatchPath;
  value?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks a PatchOp request body; returns its operations with parsed paths. */
export function readPatchBody(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new PatchError('invalidSyntax', 'the body is not a JSON object');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(PATCH_OP))
    throw new PatchError('invalidSyntax', `schemas must list ${PATCH_OP}`);
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops) || !ops.length || ops.length > MAX_OPERATIONS)
    throw new PatchError('invalidSyntax', `Operations must hold 1 to ${MAX_OPERATIONS} operations`);
  return ops.map((o) => {
    if (!isObject(o)) throw new PatchError('invalidSyntax', 'an operation is not an object');
    const op = typeof o.op === 'string' ? o.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new PatchError('invalidSyntax', 'op must be add, replace or remove');
    if (o.path !== undefined && typeof o.path !== 'string')
      throw new PatchError('invalidPath', 'path must be a string');
    const path = typeof o.path === 'string' && o.path.trim() ? parsePath(o.path) : undefined;
    if (!path && op === 'remove') throw new PatchError('noTarget', 'remove needs a path');
    if (!path && !isObject(o.value))
      throw new PatchError('invalidValue', 'without a path, value is an object');
    if (op !== 'remove' && o.value === undefined) throw new PatchError('invalidValue', `${op} needs a value`);
    return { op, path, value: o.value };
  });
}

/** The key of a resource member matching a lower-cased attribute name (or the name itself). */
function keyOf(obj: Record<string, unknown>, attr: string, canonical: Record<string, string>): string {
  return Object.keys(obj).find((k) => k.toLowerCase() === attr) ?? canonical[attr] ?? attr;
}

const sameElement = (a: unknown, b: unknown) =>
  isObject(a) &&
  isObject(b) &&
  a.value !== undefined &&
  String(a.value).toLowerCase() === String(b.value).toLowerCase();

/**
 * Applies the operations to a copy of `resource`. `canonical` maps lower-cased attribute names to
 * how the resource spells them (`phonenumbers` → `phoneNumbers`), for attributes not present yet.
 */
export function applyPatch(
  resource: Record<string, unknown>,
  ops: readonly PatchOperation[],
  canonical: Record<string, string>,
): Record<string, unknown> {
  const out = structuredClone(resource);
  for (const o of ops) {
    if (!o.path) {
      for (const [k, v] of Object.entries(o.value as Record<string, unknown>)) {
        step(out, { op: o.op, path: parsePath(k), value: v }, canonical);
      }
    } else step(out, o, canonical);
  }
  return out;
}

function step(res: Record<string, unknown>, o: PatchOperation, canonical: Record<string, string>): void {
  const path = o.path!;
  const key = keyOf(res, path.attr, canonical);
  const multi = MULTI.has(path.attr);
  if (path.filter) {
    if (!multi) throw new PatchError('invalidPath', `${key} is not multi-valued`);
    const list = Array.isArray(res[key]) ? (res[key] as Record<string, unknown>[]) : [];
    const hit = list.filter((e) => isObject(e) && matchesElement(e, path.filter!, `${path.attr}.`));
    if (o.op === 'remove') {
      if (path.sub) {
        for (const e of hit) delete e[keyOf(e, path.sub, {})];
      } else res[key] = list.filter((e) => !hit.includes(e));
      return;
    }
    if (!hit.length && o.op === 'add') {
      // Add through a filter that names the element (`phoneNumbers[type eq "mobile"].value`, as
      // Entra ID sends it): the element is created from the filter's equalities.
      const made = elementOf(path.filter, `${path.attr}.`);
      if (!made) throw new PatchError('noTarget', `no ${key} matches the filter`);
      if (path.sub) made[path.sub] = o.value;
      else if (isObject(o.value)) Object.assign(made, o.value);
      res[key] = [...list, made];
      return;
    }
    if (!hit.length) throw new PatchError('noTarget', `no ${key} matches the filter`);
    for (const e of hit) {
      if (path.sub) e[keyOf(e, path.sub, {})] = o.value;
      else if (isObject(o.value)) Object.assign(e, o.value);
      else throw new PatchError('invalidValue', `${key}: the value is an object`);
    }
    return;
  }
  if (path.sub) {
    if (multi) {
      // `emails.value` without a filter: every element (RFC 7644 §3.5.2.3 allows it for replace).
      const list = Array.isArray(res[key]) ? (res[key] as Record<string, unknown>[]) : [];
      for (const e of list) {
        if (o.op === 'remove') delete e[keyOf(e, path.sub, {})];
        else e[keyOf(e, path.sub, {})] = o.value;
      }
      return;
    }
    const parent = isObject(res[key]) ? (res[key] as Record<string, unknown>) : {};
    const subKey = keyOf(parent, path.sub, canonical);
    if (o.op === 'remove') delete parent[subKey];
    else parent[subKey] = o.value;
    res[key] = parent;
    return;
  }
  if (o.op === 'remove') {
    if (multi && o.value !== undefined) {
      // Some clients name the elements to remove in the value: {"path":"members","value":[{"value":"…"}]}.
      const gone = Array.isArray(o.value) ? o.value : [o.value];
      const list = Array.isArray(res[key]) ? (res[key] as unknown[]) : [];
      res[key] = list.filter((e) => !gone.some((g) => sameElement(e, g)));
    } else delete res[key];
    return;
  }
  if (multi) {
    const given = Array.isArray(o.value) ? o.value : [o.value];
    if (o.op === 'replace') res[key] = given;
    else {
      const list = Array.isArray(res[key]) ? (res[key] as unknown[]) : [];
      res[key] = [...list.filter((e) => !given.some((g) => sameElement(e, g))), ...given];
    }
    return;
  }
  if (o.op === 'add' && isObject(o.value) && isObject(res[key]))
    res[key] = { ...(res[key] as Record<string, unknown>), ...o.value };
  else res[key] = o.value;
}

/** The element a filter of equalities joined by `and` describes, or undefined for any other filter. */
function elementOf(f: ScimFilter, prefix: string): Record<string, unknown> | undefined {
  if (f.op === 'and') {
    const a = elementOf(f.left, prefix);
    const b = elementOf(f.right, prefix);
    return a && b ? { ...a, ...b } : undefined;
  }
  if (f.op !== 'eq' || !f.attr.startsWith(prefix)) return undefined;
  return { [f.attr.slice(prefix.length)]: f.value };
}

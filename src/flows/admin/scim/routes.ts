import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { AppDeps } from '../../../app/deps.ts';
import { readJson } from '../../../http/body.ts';
import { AppError } from '../../../http/errors.ts';
import type { Policy } from '../../../policy/settings.ts';
import { listCredentials } from '../../../store/credentials.ts';
import {
  groupsOfUsers,
  membersOfGroups,
  organizationCredentialsOf,
  type ScimPageQuery,
  type ScimUser,
  scimGroupPage,
  scimUserPage,
  UnsupportedFilter,
} from '../../../store/scim.ts';
import type { Actor } from '../permissions.ts';
import * as svc from '../service.ts';
import { authenticateScim } from './auth.ts';
import { SCIM_JSON, ScimError, scimErrors } from './errors.ts';
import { FilterSyntaxError, parseFilter } from './filter.ts';
import {
  createScimGroup,
  groupResource,
  loadScimGroup,
  MAX_MEMBERS,
  membersOf,
  patchScimGroup,
  readGroup,
  replaceScimGroup,
} from './groups.ts';
import { applyPatch, PatchError, readPatchBody } from './patch.ts';
import { listResponse, MAX_PAGE, resourceTypes, schemaDocs, serviceProviderConfig } from './schemas.ts';
import {
  createScimUser,
  loadScimUser,
  readUser,
  refuseRoleHolder,
  replaceScimUser,
  type ScimDeps,
  userResource,
} from './users.ts';

export const SCIM_PREFIX = '/scim/v2';
/** The largest request body (a group of MAX_MEMBERS members fits). */
export const SCIM_BODY_LIMIT = 1024 * 1024;

const USER_CANONICAL: Record<string, string> = {
  username: 'userName',
  displayname: 'displayName',
  name: 'name',
  emails: 'emails',
  phonenumbers: 'phoneNumbers',
  active: 'active',
  locale: 'locale',
  preferredlanguage: 'preferredLanguage',
  externalid: 'externalId',
  formatted: 'formatted',
  givenname: 'givenName',
  familyname: 'familyName',
};

declare module 'koa' {
  interface DefaultState {
    scimActor?: Actor;
  }
}

async function readBody(ctx: Context): Promise<unknown> {
  try {
    return await readJson(ctx, SCIM_BODY_LIMIT, ['application/scim+json', 'application/json']);
  } catch (err) {
    if (err instanceof AppError && err.code === 'request.content_type')
      throw new ScimError(400, 'invalidSyntax', 'scim.error.contentType');
    if (err instanceof AppError && err.code === 'request.body_invalid')
      throw new ScimError(400, 'invalidSyntax', 'scim.error.json');
    throw err;
  }
}

function send(ctx: Context, status: number, body: Record<string, unknown>): void {
  ctx.status = status;
  ctx.type = SCIM_JSON;
  const version = (body.meta as { version?: string } | undefined)?.version;
  if (version) ctx.set('ETag', version);
  ctx.body = body;
}

function intParam(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !/^-?\d{1,9}$/.test(v))
    throw new ScimError(400, 'invalidValue', 'scim.error.integer', { attr: name });
  return Number(v);
}

function pageQuery(ctx: Context): ScimPageQuery {
  const q = ctx.query;
  const one = (k: string) => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));
  const startIndex = Math.max(1, intParam(one('startIndex'), 'startIndex') ?? 1);
  const count = Math.min(MAX_PAGE, Math.max(0, intParam(one('count'), 'count') ?? MAX_PAGE));
  const sortOrder = one('sortOrder');
  if (sortOrder && !/^(ascending|descending)$/i.test(sortOrder))
    throw new ScimError(400, 'invalidValue', 'scim.error.sortOrder');
  const raw = one('filter');
  let filter: ScimPageQuery['filter'];
  if (raw) {
    try {
      filter = parseFilter(raw);
    } catch (err) {
      if (err instanceof FilterSyntaxError)
        throw new ScimError(400, 'invalidFilter', 'scim.error.filter', { detail: err.message });
      throw err;
    }
  }
  return {
    filter,
    startIndex,
    count,
    sortBy: one('sortBy'),
    descending: /^descending$/i.test(sortOrder ?? ''),
  };
}

async function page<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UnsupportedFilter)
      throw new ScimError(400, 'invalidFilter', 'scim.error.filter', { detail: err.message });
    throw err;
  }
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5) over top-level attributes. */
function projection(ctx: Context): (r: Record<string, unknown>) => Record<string, unknown> {
  const list = (k: string) =>
    typeof ctx.query[k] === 'string'
      ? (ctx.query[k] as string)
          .split(',')
          .map((a) => a.trim().split('.')[0].split(':').pop()!.toLowerCase())
          .filter(Boolean)
      : [];
  const only = list('attributes');
  const without = new Set(list('excludedAttributes'));
  const always = new Set(['id', 'schemas', 'meta']);
  return (r) =>
    Object.fromEntries(
      Object.entries(r).filter(([k]) => {
        const l = k.toLowerCase();
        if (always.has(l)) return true;
        if (only.length) return only.includes(l);
        return !without.has(l);
      }),
    );
}

const wantsMembers = (ctx: Context) => {
  const p = projection(ctx)({ members: 1 });
  return 'members' in p;
};

/** If-Match (RFC 7644 §3.14): a write to a resource whose version changed is refused with 412. */
function checkIfMatch(ctx: Context, version: string): void {
  const h = ctx.get('if-match');
  if (!h) return;
  const tags = h.split(',').map((t) => t.trim());
  if (!tags.includes('*') && !tags.includes(version))
    throw new ScimError(412, undefined, 'scim.error.precondition');
}

function notModified(ctx: Context, version: string): boolean {
  const h = ctx.get('if-none-match');
  if (!h?.split(',').some((t) => t.trim() === version || t.trim() === '*')) return false;
  ctx.status = 304;
  ctx.set('ETag', version);
  return true;
}

export function scimRoutes(deps: AppDeps): Router {
  const d: ScimDeps = deps;
  const issuer = deps.config.issuer;
  const router = new Router({ prefix: SCIM_PREFIX });
  const actorOf = (ctx: Context) => ctx.state.scimActor!;

  router.use(scimErrors);
  router.use(async (ctx: Context, next: Next) => {
    ctx.state.scimActor = await authenticateScim(deps, ctx);
    await next();
  });

  const userOut = async (u: ScimUser, policy: Policy) => {
    const groups = (await groupsOfUsers(d.db, [u.id])).get(u.id) ?? [];
    const creds = policy.scimContactMethods ? await listCredentials(d.db, u.id) : [];
    return userResource(issuer, u, groups, creds, policy);
  };
  const groupOut = async (id: string, withMembers = true) => {
    const g = await loadScimGroup(d, id);
    return groupResource(issuer, g, withMembers ? await membersOf(d, g.id) : undefined);
  };

  router.get('/ServiceProviderConfig', (ctx) => send(ctx, 200, serviceProviderConfig(issuer)));
  router.get('/ResourceTypes', (ctx) => send(ctx, 200, listResponse(resourceTypes(issuer))));
  router.get('/ResourceTypes/:id', (ctx) => {
    const r = resourceTypes(issuer).find((t) => t.id === ctx.params.id);
    if (!r) throw new ScimError(404, undefined, 'scim.error.notFound', { id: ctx.params.id });
    send(ctx, 200, r);
  });
  router.get('/Schemas', (ctx) => send(ctx, 200, listResponse(schemaDocs(issuer))));
  router.get('/Schemas/:id', (ctx) => {
    const r = schemaDocs(issuer).find((t) => t.id === ctx.params.id);
    if (!r) throw new ScimError(404, undefined, 'scim.error.notFound', { id: ctx.params.id });
    send(ctx, 200, r);
  });

  // ------------------------------------------------------------------ Users
  router.get('/Users', async (ctx) => {
    const q = pageQuery(ctx);
    const policy = await deps.policy();
    const { total, users } = await page(() => scimUserPage(d.db, q));
    const groups = await groupsOfUsers(
      d.db,
      users.map((u) => u.id),
    );
    const creds = policy.scimContactMethods
      ? await organizationCredentialsOf(
          d.db,
          users.map((u) => u.id),
        )
      : new Map();
    const shape = projection(ctx);
    const out = users.map((u) =>
      shape(userResource(issuer, u, groups.get(u.id) ?? [], creds.get(u.id) ?? [], policy)),
    );
    send(ctx, 200, listResponse(out, total, q.startIndex));
  });
  router.post('/Users', async (ctx) => {
    const policy = await deps.policy();
    const input = readUser(await readBody(ctx), policy);
    const id = await createScimUser(d, actorOf(ctx), input, policy);
    const r = await userOut(await loadScimUser(d, id), policy);
    ctx.set('Location', String((r.meta as { location: string }).location));
    send(ctx, 201, r);
  });
  router.get('/Users/:id', async (ctx) => {
    const r = await userOut(await loadScimUser(d, ctx.params.id), await deps.policy());
    if (notModified(ctx, (r.meta as { version: string }).version)) return;
    send(ctx, 200, projection(ctx)(r));
  });
  router.put('/Users/:id', async (ctx) => {
    const policy = await deps.policy();
    const u = await loadScimUser(d, ctx.params.id);
    checkIfMatch(ctx, ((await userOut(u, policy)).meta as { version: string }).version);
    await replaceScimUser(d, actorOf(ctx), u, readUser(await readBody(ctx), policy));
    send(ctx, 200, await userOut(await loadScimUser(d, u.id), policy));
  });
  router.patch('/Users/:id', async (ctx) => {
    const policy = await deps.policy();
    const u = await loadScimUser(d, ctx.params.id);
    const current = await userOut(u, policy);
    checkIfMatch(ctx, (current.meta as { version: string }).version);
    const ops = patchOps(await readBody(ctx));
    refuseRoleHolder(u);
    const { meta: _m, groups: _g, id: _i, ...doc } = current;
    const next = patched(() => applyPatch(doc, ops, USER_CANONICAL));
    // name.formatted and displayName are one name here: a change to either one is the change.
    const nameOf = (r: Record<string, unknown>) => (r.name as { formatted?: unknown } | undefined)?.formatted;
    if (nameOf(next) !== nameOf(doc) && next.displayName === doc.displayName) next.displayName = nameOf(next);
    await replaceScimUser(d, actorOf(ctx), u, readUser(next, policy));
    send(ctx, 200, await userOut(await loadScimUser(d, u.id), policy));
  });
  router.delete('/Users/:id', async (ctx) => {
    const policy = await deps.policy();
    const u = await loadScimUser(d, ctx.params.id);
    checkIfMatch(ctx, ((await userOut(u, policy)).meta as { version: string }).version);
    refuseRoleHolder(u);
    await svc.deleteUser(d, actorOf(ctx), u.id);
    ctx.status = 204;
  });

  // ------------------------------------------------------------------ Groups
  router.get('/Groups', async (ctx) => {
    const q = pageQuery(ctx);
    const { total, groups } = await page(() => scimGroupPage(d.db, q));
    const members = wantsMembers(ctx)
      ? await membersOfGroups(
          d.db,
          groups.map((g) => g.id),
          MAX_MEMBERS,
        )
      : undefined;
    const shape = projection(ctx);
    const out = groups.map((g) =>
      shape(groupResource(issuer, g, members ? (members.get(g.id) ?? []) : undefined)),
    );
    send(ctx, 200, listResponse(out, total, q.startIndex));
  });
  router.post('/Groups', async (ctx) => {
    const id = await createScimGroup(d, actorOf(ctx), readGroup(await readBody(ctx)));
    const r = await groupOut(id);
    ctx.set('Location', String((r.meta as { location: string }).location));
    send(ctx, 201, r);
  });
  router.get('/Groups/:id', async (ctx) => {
    const r = await groupOut(ctx.params.id, wantsMembers(ctx));
    const version = (r.meta as { version?: string }).version;
    if (version && notModified(ctx, version)) return;
    send(ctx, 200, projection(ctx)(r));
  });
  router.put('/Groups/:id', async (ctx) => {
    const current = await groupOut(ctx.params.id);
    checkIfMatch(ctx, (current.meta as { version: string }).version);
    const g = await loadScimGroup(d, ctx.params.id);
    await replaceScimGroup(d, actorOf(ctx), g, readGroup(await readBody(ctx)));
    send(ctx, 200, await groupOut(g.id));
  });
  router.patch('/Groups/:id', async (ctx) => {
    const g = await loadScimGroup(d, ctx.params.id);
    // A version check needs the members; without If-Match a large group is not read.
    if (ctx.get('if-match')) checkIfMatch(ctx, ((await groupOut(g.id)).meta as { version: string }).version);
    const ops = patchOps(await readBody(ctx));
    await patched(() => patchScimGroup(d, actorOf(ctx), g, ops));
    send(ctx, 200, await groupOut(g.id, wantsMembers(ctx)));
  });
  router.delete('/Groups/:id', async (ctx) => {
    const g = await loadScimGroup(d, ctx.params.id);
    if (ctx.get('if-match')) checkIfMatch(ctx, ((await groupOut(g.id)).meta as { version: string }).version);
    await svc.deleteGroup(d, actorOf(ctx), g.id);
    ctx.status = 204;
  });

  router.all('/{*rest}', () => {
    throw new ScimError(404, undefined, 'scim.error.endpoint');
  });
  return router;
}

function patchOps(body: unknown) {
  return patched(() => readPatchBody(body));
}

/** PatchError as a SCIM 400 with its scimType. */
function patched<T>(run: () => T): T {
  try {
    const out = run();
    if (out instanceof Promise)
      return out.catch((err) => {
        throw toScim(err);
      }) as T;
    return out;
  } catch (err) {
    throw toScim(err);
  }
}

function toScim(err: unknown): unknown {
  if (err instanceof PatchError)
    return new ScimError(400, err.scimType, 'scim.error.patch', { detail: err.message });
  return err;
}

import { z } from 'zod';
import { ID_TOKEN_ALGS } from '../../../oidc/clients.ts';
import { SCOPES } from '../../../oidc/provider.ts';
import {
  type ApiGrantRow,
  type ApiRow,
  deleteApi as deleteApiRow,
  deleteGrant,
  findApi,
  insertApi,
  listApis,
  listGrants,
  updateApi as updateApiRow,
  upsertGrant,
} from '../../../store/apis.ts';
import { findClient } from '../../../store/clients.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { type AdminDeps, audit, notFound, writeUnique } from '../shared.ts';
import { FieldError, parseOrThrow } from '../validation.ts';

/**
 * APIs (resource servers) and the clients granted access to them, Entra's "Expose an API" and
 * application permissions: a client-credentials request naming an API gets a token for that API with
 * the scopes granted here (src/oidc/resources.ts). Managed with the clients' permissions.
 */

/** A JWT access token's default lifetime: short, as nothing revokes one before it expires. */
export const DEFAULT_API_TOKEN_TTL = 600;

export interface ApiView {
  identifier: string;
  name: string;
  scopes: string[];
  tokenFormat: 'jwt' | 'opaque';
  tokenTtlSeconds: number;
  signingAlg: string;
  /** The client the API signs in as to introspect its opaque tokens. */
  introspectionClientId: string | null;
  grants: { clientId: string; scopes: string[] }[];
  createdAt: string;
  updatedAt: string;
}

const view = (a: ApiRow, grants: ApiGrantRow[]): ApiView => ({
  identifier: a.identifier,
  name: a.name,
  scopes: a.scopes,
  tokenFormat: a.tokenFormat,
  tokenTtlSeconds: a.tokenTtlSeconds,
  signingAlg: a.signingAlg,
  introspectionClientId: a.introspectionClientId,
  grants: grants.map((g) => ({ clientId: g.clientId, scopes: g.scopes })),
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

/**
 * A resource indicator (RFC 8707): an absolute URI without a fragment, printable ASCII, as the client
 * will send it (matched exactly).
 */
const identifierSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((v) => /^[\x21-\x7e]+$/.test(v) && /^[a-z][a-z0-9+.-]*:/i.test(v) && !!URL.parse(v), {
    params: { key: 'admin.api.identifierFormat' },
  })
  .refine((v) => !v.includes('#'), { params: { key: 'admin.api.identifierFragment' } });

/** A scope token (RFC 6749 §3.3), not one of Tobira's own scopes (openid, admin, scim, …). */
const scopeSchema = z
  .string()
  .min(1)
  .max(100)
  .refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(v), { params: { key: 'admin.api.scopeFormat' } })
  .refine((v) => !SCOPES.includes(v), { params: { key: 'admin.api.scopeReserved' } });

const settings = {
  name: z.string().trim().min(1).max(100),
  scopes: z.array(scopeSchema).max(100),
  tokenFormat: z.enum(['jwt', 'opaque']),
  tokenTtlSeconds: z.number().int().min(60).max(86_400),
  signingAlg: z.enum(ID_TOKEN_ALGS),
  introspectionClientId: z.string().min(1).max(200).nullable(),
};

export const createApiSchema = z
  .object({
    identifier: identifierSchema,
    ...settings,
    scopes: settings.scopes.default([]),
    tokenFormat: settings.tokenFormat.default('jwt'),
    tokenTtlSeconds: settings.tokenTtlSeconds.default(DEFAULT_API_TOKEN_TTL),
    signingAlg: settings.signingAlg.default('ES256'),
    introspectionClientId: settings.introspectionClientId.default(null),
  })
  .strict();

export const updateApiSchema = z
  .object({
    name: settings.name.optional(),
    scopes: settings.scopes.optional(),
    tokenFormat: settings.tokenFormat.optional(),
    tokenTtlSeconds: settings.tokenTtlSeconds.optional(),
    signingAlg: settings.signingAlg.optional(),
    introspectionClientId: settings.introspectionClientId.optional(),
  })
  .strict();

export const grantApiSchema = z.object({ scopes: z.array(scopeSchema).max(100) }).strict();

/**
 * An identifier or client id as a lookup takes it: printable ASCII, bounded. Anything else (a NUL
 * from a percent-encoded path, which PostgreSQL cannot even compare) names nothing.
 */
const lookupable = (v: unknown): v is string => typeof v === 'string' && /^[\x21-\x7e]{1,200}$/.test(v);

/** The introspecting client must exist (null: none). */
async function requireClient(deps: AdminDeps, clientId: string | null): Promise<void> {
  if (clientId !== null && !(lookupable(clientId) && (await findClient(deps.db, clientId))))
    throw new FieldError({ introspectionClientId: { key: 'admin.error.clientNotFound' } });
}

async function resolveApi(deps: AdminDeps, identifier: string): Promise<ApiRow> {
  const a = lookupable(identifier) ? await findApi(deps.db, identifier) : undefined;
  if (!a) throw notFound('api');
  return a;
}

export async function listAllApis(deps: AdminDeps, actor: Actor): Promise<ApiView[]> {
  requirePermission(actor, 'clients.read');
  const grants = Map.groupBy(await listGrants(deps.db), (g) => g.apiIdentifier);
  return (await listApis(deps.db)).map((a) => view(a, grants.get(a.identifier) ?? []));
}

export async function getApi(deps: AdminDeps, actor: Actor, identifier: string): Promise<ApiView> {
  requirePermission(actor, 'clients.read');
  const a = await resolveApi(deps, identifier);
  return view(a, await listGrants(deps.db, a.identifier));
}

export async function createApi(deps: AdminDeps, actor: Actor, input: unknown): Promise<ApiView> {
  requirePermission(actor, 'clients.write');
  const body = parseOrThrow(createApiSchema, input);
  await requireClient(deps, body.introspectionClientId);
  const scopes = [...new Set(body.scopes)];
  return writeUnique(deps.db, ['api.exists', 'admin.api.identifierTaken', 'identifier'], async (trx) => {
    const a = await insertApi(trx, { ...body, scopes }, deps.clock.now());
    await audit(trx, deps, actor, 'admin.api.create', null, {
      api: a.identifier,
      scopes,
      tokenFormat: a.tokenFormat,
    });
    return view(a, []);
  });
}

/** Changes an API; a scope it stops defining leaves every grant on it, at once. */
export async function updateApi(
  deps: AdminDeps,
  actor: Actor,
  identifier: string,
  input: unknown,
): Promise<ApiView> {
  requirePermission(actor, 'clients.write');
  const patch = parseOrThrow(updateApiSchema, input);
  const current = await resolveApi(deps, identifier);
  if (patch.introspectionClientId) await requireClient(deps, patch.introspectionClientId);
  const next = {
    identifier: current.identifier,
    name: patch.name ?? current.name,
    scopes: patch.scopes ? [...new Set(patch.scopes)] : current.scopes,
    tokenFormat: patch.tokenFormat ?? current.tokenFormat,
    tokenTtlSeconds: patch.tokenTtlSeconds ?? current.tokenTtlSeconds,
    signingAlg: patch.signingAlg ?? current.signingAlg,
    introspectionClientId:
      patch.introspectionClientId === undefined ? current.introspectionClientId : patch.introspectionClientId,
  };
  const a = await deps.db.transaction(async (trx) => {
    const row = await updateApiRow(trx, next, deps.clock.now());
    if (!row) throw notFound('api');
    await audit(trx, deps, actor, 'admin.api.update', null, { api: row.identifier, ...patch });
    return row;
  });
  deps.clients?.invalidate();
  return view(a, await listGrants(deps.db, a.identifier));
}

/** Deletes an API and every grant on it: no client gets a new token for it. */
export async function deleteApi(deps: AdminDeps, actor: Actor, identifier: string): Promise<void> {
  requirePermission(actor, 'clients.write');
  const a = await resolveApi(deps, identifier);
  await deps.db.transaction(async (trx) => {
    await deleteApiRow(trx, a.identifier);
    await audit(trx, deps, actor, 'admin.api.delete', null, { api: a.identifier });
  });
  deps.clients?.invalidate();
}

/** Grants a client scopes on an API (replacing what it held there); each must be one the API defines. */
export async function grantApi(
  deps: AdminDeps,
  actor: Actor,
  identifier: string,
  clientId: string,
  input: unknown,
): Promise<ApiView> {
  requirePermission(actor, 'clients.write');
  const { scopes: asked } = parseOrThrow(grantApiSchema, input);
  const a = await resolveApi(deps, identifier);
  const client = lookupable(clientId) ? await findClient(deps.db, clientId) : undefined;
  if (!client) throw notFound('client');
  const scopes = [...new Set(asked)];
  const unknown = scopes.filter((s) => !a.scopes.includes(s));
  if (unknown.length)
    throw new FieldError({
      scopes: { key: 'admin.api.scopeUndefined', params: { scopes: unknown.join(' ') } },
    });
  await deps.db.transaction(async (trx) => {
    await upsertGrant(trx, client.clientId, a.identifier, scopes, deps.clock.now());
    await audit(trx, deps, actor, 'admin.api.grant', null, {
      api: a.identifier,
      clientId: client.clientId,
      scopes,
    });
  });
  deps.clients?.invalidate(client.clientId);
  return view(a, await listGrants(deps.db, a.identifier));
}

/** Withdraws a client's grant on an API: it gets no new token for it (those issued run out). */
export async function revokeApiGrant(
  deps: AdminDeps,
  actor: Actor,
  identifier: string,
  clientId: string,
): Promise<{ changed: boolean }> {
  requirePermission(actor, 'clients.write');
  const a = await resolveApi(deps, identifier);
  const changed = await deps.db.transaction(async (trx) => {
    const removed = lookupable(clientId) && (await deleteGrant(trx, clientId, a.identifier));
    await audit(trx, deps, actor, 'admin.api.revoke', null, { api: a.identifier, clientId, removed });
    return removed;
  });
  deps.clients?.invalidate(clientId);
  return { changed };
}

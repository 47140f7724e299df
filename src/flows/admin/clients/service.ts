import crypto from 'node:crypto';
import { z } from 'zod';
import type { Tx } from '../../../db/knex.ts';
import type { MessageKey } from '../../../i18n/index.ts';
import {
  ADMIN_SCOPE,
  AUTH_METHODS,
  buildMetadata,
  ClientSpecError,
  checkJwks,
  GRANT_TYPES,
  type GrantType,
  ID_TOKEN_ALGS,
  type MetadataOptions,
  normalizeOrigin,
  SECRET_PURPOSE,
} from '../../../oidc/clients.ts';
import { updateClientRow } from '../../../store/client-admin.ts';
import {
  type ClientRow,
  deleteClient as deleteClientRow,
  findClient,
  insertClient,
  listClients,
} from '../../../store/clients.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { type AdminDeps, audit, conflict, notFound, writeUnique } from '../shared.ts';
import { FieldError, type FieldMessages, parseOrThrow } from '../validation.ts';

export { ADMIN_CLIENT_ID } from '../../../oidc/builtin-clients.ts';
/** Clients Tobira registers itself at start; changes to them would be undone at the next start. */
export const BUILTIN_CLIENTS: ReadonlySet<string> = new Set(['tobira-portal', 'tobira-admin', 'tobira-demo']);

export interface ClientView {
  clientId: string;
  name: string;
  builtin: boolean;
  firstParty: boolean;
  public: boolean;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  scope: string | null;
  /** Granted the admin scope by an administrator (denied by default). */
  admin: boolean;
  /** Granted the scim scope (SCIM provisioning; first-party clients only). */
  scim: boolean;
  idTokenAlg: string;
  authMethod: string;
  jwksUri: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  backchannelLogoutSessionRequired: boolean;
  defaultMaxAge: number | null;
  requireAuthTime: boolean;
  frontchannelLogoutUri: string | null;
  frontchannelLogoutSessionRequired: boolean;
  /** Browser origins allowed at the token, userinfo, revocation and introspection endpoints. */
  corsOrigins: string[];
  createdAt: string;
  updatedAt: string;
}

function clientView(c: ClientRow): ClientView {
  const m = c.metadata as Record<string, any>;
  return {
    clientId: c.clientId,
    name: String(m.client_name ?? c.clientId),
    builtin: BUILTIN_CLIENTS.has(c.clientId),
    firstParty: c.firstParty,
    public: m.token_endpoint_auth_method === 'none',
    grantTypes: m.grant_types ?? [],
    redirectUris: m.redirect_uris ?? [],
    postLogoutRedirectUris: m.post_logout_redirect_uris ?? [],
    backchannelLogoutUri: m.backchannel_logout_uri ?? null,
    scope: m.scope ?? null,
    admin: c.adminGranted,
    scim: c.scimGranted,
    idTokenAlg: m.id_token_signed_response_alg ?? 'ES256',
    authMethod: m.token_endpoint_auth_method ?? 'client_secret_basic',
    jwksUri: m.jwks_uri ?? null,
    jwks: m.jwks ?? null,
    backchannelLogoutSessionRequired: !!m.backchannel_logout_session_required,
    defaultMaxAge: typeof m.default_max_age === 'number' ? m.default_max_age : null,
    requireAuthTime: !!m.require_auth_time,
    frontchannelLogoutUri: m.frontchannel_logout_uri ?? null,
    frontchannelLogoutSessionRequired: !!m.frontchannel_logout_session_required,
    corsOrigins: m.cors_origins ?? [],
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

async function resolveClient(db: Tx, clientId: string): Promise<ClientRow> {
  const c = /^[A-Za-z0-9._~-]{1,100}$/.test(clientId) ? await findClient(db, clientId) : undefined;
  if (!c) throw notFound('client');
  return c;
}

function uriOk(u: string): boolean {
  try {
    const url = new URL(u);
    if (url.hash) return false;
    return /^https?:$/.test(url.protocol) || /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol);
  } catch {
    return false;
  }
}

const uri = z
  .string()
  .max(2000)
  .refine(uriOk, { params: { key: 'admin.client.uri' } });
const scopeText = z
  .string()
  .trim()
  .max(500)
  .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/)
  // The admin scope is granted with `admin`, never listed among a client's ordinary scopes.
  .refine((v) => !v.split(' ').includes(ADMIN_SCOPE), { params: { key: 'admin.client.adminInScope' } });

/** The per-client settings relying parties need (issue 11), shared by create and update. */
const clientSettings = {
  idTokenAlg: z.enum(ID_TOKEN_ALGS).optional(),
  authMethod: z.enum(AUTH_METHODS).optional(),
  jwks: z
    .object({ keys: z.array(z.record(z.string(), z.unknown())) })
    .refine((v) => !checkJwks(v), { params: { key: 'admin.client.jwksInvalid' } })
    .optional(),
  jwksUri: uri.refine((u) => /^https?:/.test(u), { params: { key: 'admin.client.uri' } }).optional(),
  backchannelLogoutSessionRequired: z.boolean().optional(),
  defaultMaxAge: z.number().int().min(0).max(31_536_000).optional(),
  requireAuthTime: z.boolean().optional(),
  frontchannelLogoutUri: z
    .string()
    .max(2000)
    .refine((u) => /^https?:$/.test(URL.parse(u)?.protocol ?? '') && !URL.parse(u)?.hash, {
      params: { key: 'frontchannel.admin.uriInvalid' },
    })
    .optional(),
  frontchannelLogoutSessionRequired: z.boolean().optional(),
  corsOrigins: z
    .array(z.string().refine((o) => !!normalizeOrigin(o), { params: { key: 'cors.admin.originInvalid' } }))
    .max(50)
    .optional(),
};

export const createClientSchema = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9._~-]{1,100}$/),
    name: z.string().trim().min(1).max(200).optional(),
    redirectUris: z.array(uri).max(50).default([]),
    postLogoutRedirectUris: z.array(uri).max(50).optional(),
    backchannelLogoutUri: uri.optional(),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
    public: z.boolean().optional(),
    firstParty: z.boolean().optional(),
    scope: scopeText.optional(),
    admin: z.boolean().optional(),
    scim: z.boolean().optional(),
    ...clientSettings,
  })
  .strict();

export const updateClientSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    redirectUris: z.array(uri).max(50).optional(),
    postLogoutRedirectUris: z.array(uri).max(50).optional(),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
    scope: scopeText.nullable().optional(),
    firstParty: z.boolean().optional(),
    admin: z.boolean().optional(),
    scim: z.boolean().optional(),
    backchannelLogoutUri: uri.nullable().optional(),
    ...clientSettings,
    jwks: clientSettings.jwks.nullable(),
    jwksUri: clientSettings.jwksUri.nullable(),
    defaultMaxAge: clientSettings.defaultMaxAge.nullable(),
    frontchannelLogoutUri: clientSettings.frontchannelLogoutUri.nullable(),
  })
  .strict();

/** The rules buildMetadata would otherwise report as one CLI-worded message, as field messages. */
function checkClientRules(spec: {
  public?: boolean;
  grantTypes?: readonly string[];
  redirectUris: string[];
}): void {
  const grants = spec.grantTypes?.length ? spec.grantTypes : ['authorization_code', 'refresh_token'];
  const fields: FieldMessages = {};
  if (spec.public && grants.includes('client_credentials'))
    fields.grantTypes = { key: 'admin.client.publicCredentials' };
  if (grants.includes('authorization_code') && !spec.redirectUris.length)
    fields.redirectUris = { key: 'admin.client.redirectRequired' };
  if (Object.keys(fields).length) throw new FieldError(fields);
}

/** SCIM provisioning is granted to first-party clients only, never to a third-party app. */
function checkScimGrant(firstParty: boolean, scim: boolean): void {
  if (scim && !firstParty) throw new FieldError({ scim: { key: 'scim.client.firstPartyOnly' } });
}

/** buildMetadata's rules that concern one field, worded for that field. */
const SPEC_FIELDS: Array<[RegExp, string, MessageKey]> = [
  [/^--auth-method private_key_jwt/, 'jwks', 'admin.client.jwksRequired'],
  [/^--auth-method/, 'authMethod', 'admin.client.authMethodPublic'],
  [/^--jwks and --jwks-uri/, 'jwks', 'admin.client.jwksOne'],
  [/^--backchannel-logout-session-required/, 'backchannelLogoutSessionRequired', 'admin.client.sidNeedsUri'],
  [
    /^--frontchannel-logout-session-required/,
    'frontchannelLogoutSessionRequired',
    'frontchannel.admin.sidNeedsUri',
  ],
  [/^--frontchannel-logout-uri: .*production/, 'frontchannelLogoutUri', 'frontchannel.admin.httpsRequired'],
  [/^--frontchannel-logout-uri: .*redirect URI/, 'frontchannelLogoutUri', 'frontchannel.admin.sameOrigin'],
  [/^--frontchannel-logout-uri/, 'frontchannelLogoutUri', 'frontchannel.admin.uriInvalid'],
  [/^--cors-origin/, 'corsOrigins', 'cors.admin.originInvalid'],
];

function metadataOrThrow(
  spec: Parameters<typeof buildMetadata>[0],
  opts: MetadataOptions = {},
): Record<string, unknown> {
  try {
    return buildMetadata(spec, opts);
  } catch (err) {
    if (err instanceof ClientSpecError) {
      const hit = SPEC_FIELDS.find(([re]) => re.test(err.message));
      throw new FieldError(hit ? { [hit[1]]: { key: hit[2] } } : { body: { key: 'admin.field.invalid' } });
    }
    throw err;
  }
}

export async function listAllClients(deps: AdminDeps, actor: Actor): Promise<ClientView[]> {
  requirePermission(actor, 'clients.read');
  return (await listClients(deps.db)).map(clientView);
}

export async function getClient(deps: AdminDeps, actor: Actor, clientId: string): Promise<ClientView> {
  requirePermission(actor, 'clients.read');
  return clientView(await resolveClient(deps.db, clientId));
}

const newSecret = () => crypto.randomBytes(32).toString('base64url');

/** Creates a client; a confidential client's secret is returned once and stored encrypted. */
export async function createClient(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
): Promise<{ client: ClientView; clientSecret: string | null }> {
  requirePermission(actor, 'clients.write');
  const body = parseOrThrow(createClientSchema, input);
  checkClientRules(body);
  checkScimGrant(!!body.firstParty, !!body.scim);
  const metadata = metadataOrThrow(
    { ...body, grantTypes: body.grantTypes as GrantType[] | undefined },
    { production: deps.config?.production },
  );
  // Every confidential client holds a secret, so its method can change later between the secret
  // methods and private_key_jwt.
  const secret = body.public ? null : newSecret();
  await writeUnique(deps.db, ['client.exists', 'admin.client.idTaken', 'clientId'], async (trx) => {
    await insertClient(
      trx,
      {
        clientId: body.clientId,
        metadata,
        secretEncrypted: secret ? deps.box.encrypt(SECRET_PURPOSE, secret) : null,
        firstParty: !!body.firstParty,
        adminGranted: !!body.admin,
        scimGranted: !!body.scim,
      },
      deps.clock.now(),
    );
    await audit(trx, deps, actor, 'admin.client.create', null, {
      clientId: body.clientId,
      grantTypes: metadata.grant_types,
      redirectUris: metadata.redirect_uris,
      public: !!body.public,
      admin: !!body.admin,
      ...(body.scim ? { scim: true } : {}),
    });
  });
  deps.clients?.invalidate(body.clientId);
  return { client: clientView((await findClient(deps.db, body.clientId))!), clientSecret: secret };
}

function refuseBuiltin(clientId: string): void {
  if (BUILTIN_CLIENTS.has(clientId)) throw conflict('client.builtin', 'admin.client.builtin');
}

export async function updateClient(
  deps: AdminDeps,
  actor: Actor,
  clientId: string,
  input: unknown,
): Promise<ClientView> {
  requirePermission(actor, 'clients.write');
  const body = parseOrThrow(updateClientSchema, input);
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  const cur = clientView(row);
  checkScimGrant(body.firstParty ?? cur.firstParty, body.scim ?? cur.scim);
  const spec = {
    clientId: row.clientId,
    name: body.name ?? cur.name,
    redirectUris: body.redirectUris ?? cur.redirectUris,
    postLogoutRedirectUris: body.postLogoutRedirectUris ?? cur.postLogoutRedirectUris,
    backchannelLogoutUri:
      body.backchannelLogoutUri === null
        ? undefined
        : (body.backchannelLogoutUri ?? cur.backchannelLogoutUri ?? undefined),
    grantTypes: (body.grantTypes ?? cur.grantTypes) as GrantType[],
    public: cur.public,
    firstParty: body.firstParty ?? cur.firstParty,
    scope: body.scope === null ? undefined : (body.scope ?? cur.scope ?? undefined),
    idTokenAlg: body.idTokenAlg ?? cur.idTokenAlg,
    authMethod: body.authMethod ?? cur.authMethod,
    jwks: body.jwks === null ? undefined : (body.jwks ?? cur.jwks ?? undefined),
    jwksUri: body.jwksUri === null ? undefined : (body.jwksUri ?? cur.jwksUri ?? undefined),
    backchannelLogoutSessionRequired:
      body.backchannelLogoutSessionRequired ??
      (body.backchannelLogoutUri === null ? false : cur.backchannelLogoutSessionRequired),
    defaultMaxAge:
      body.defaultMaxAge === null ? undefined : (body.defaultMaxAge ?? cur.defaultMaxAge ?? undefined),
    requireAuthTime: body.requireAuthTime ?? cur.requireAuthTime,
    frontchannelLogoutUri:
      body.frontchannelLogoutUri === null
        ? undefined
        : (body.frontchannelLogoutUri ?? cur.frontchannelLogoutUri ?? undefined),
    frontchannelLogoutSessionRequired:
      body.frontchannelLogoutSessionRequired ??
      (body.frontchannelLogoutUri === null ? false : cur.frontchannelLogoutSessionRequired),
    corsOrigins: body.corsOrigins ?? cur.corsOrigins,
  };
  checkClientRules(spec);
  const metadata = metadataOrThrow(spec, { production: deps.config?.production });
  const next = {
    ...cur,
    name: spec.name,
    redirectUris: metadata.redirect_uris,
    postLogoutRedirectUris: spec.postLogoutRedirectUris,
    grantTypes: metadata.grant_types,
    scope: spec.scope ?? null,
    firstParty: spec.firstParty,
    admin: body.admin ?? cur.admin,
    scim: body.scim ?? cur.scim,
    backchannelLogoutUri: spec.backchannelLogoutUri ?? null,
    idTokenAlg: metadata.id_token_signed_response_alg,
    authMethod: metadata.token_endpoint_auth_method,
    jwksUri: spec.jwksUri ?? null,
    jwks: spec.jwks ?? null,
    backchannelLogoutSessionRequired: !!metadata.backchannel_logout_session_required,
    defaultMaxAge: spec.defaultMaxAge ?? null,
    requireAuthTime: !!spec.requireAuthTime,
    frontchannelLogoutUri: spec.frontchannelLogoutUri ?? null,
    frontchannelLogoutSessionRequired: !!metadata.frontchannel_logout_session_required,
    corsOrigins: (metadata.cors_origins as string[] | undefined) ?? [],
  };
  const keys = [
    'name',
    'redirectUris',
    'postLogoutRedirectUris',
    'grantTypes',
    'scope',
    'firstParty',
    'admin',
    'scim',
    'backchannelLogoutUri',
    'idTokenAlg',
    'authMethod',
    'jwksUri',
    'jwks',
    'backchannelLogoutSessionRequired',
    'defaultMaxAge',
    'requireAuthTime',
    'frontchannelLogoutUri',
    'frontchannelLogoutSessionRequired',
    'corsOrigins',
  ] as const;
  const changed = keys.filter(
    (k) => JSON.stringify(cur[k]) !== JSON.stringify((next as Record<string, unknown>)[k]),
  );
  await deps.db.transaction(async (trx) => {
    await updateClientRow(
      trx,
      row.clientId,
      { metadata, firstParty: spec.firstParty, adminGranted: next.admin, scimGranted: next.scim },
      deps.clock.now(),
    );
    await audit(trx, deps, actor, 'admin.client.update', null, {
      clientId: row.clientId,
      changed,
      before: Object.fromEntries(changed.map((k) => [k, cur[k]])),
      after: Object.fromEntries(changed.map((k) => [k, (next as Record<string, unknown>)[k]])),
    });
  });
  deps.clients?.invalidate(row.clientId);
  return clientView((await findClient(deps.db, row.clientId))!);
}

/** A new secret replaces the old one at once; tokens already issued stay valid until they expire. */
export async function rotateClientSecret(
  deps: AdminDeps,
  actor: Actor,
  clientId: string,
): Promise<{ client: ClientView; clientSecret: string }> {
  requirePermission(actor, 'clients.write');
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  if (!row.secretEncrypted) throw conflict('client.public', 'admin.client.noSecret');
  const secret = newSecret();
  await deps.db.transaction(async (trx) => {
    await updateClientRow(
      trx,
      row.clientId,
      { secretEncrypted: deps.box.encrypt(SECRET_PURPOSE, secret) },
      deps.clock.now(),
    );
    await audit(trx, deps, actor, 'admin.client.rotate_secret', null, { clientId: row.clientId });
  });
  deps.clients?.invalidate(row.clientId);
  return { client: clientView((await findClient(deps.db, row.clientId))!), clientSecret: secret };
}

export async function deleteClient(deps: AdminDeps, actor: Actor, clientId: string): Promise<void> {
  requirePermission(actor, 'clients.write');
  const row = await resolveClient(deps.db, clientId);
  refuseBuiltin(row.clientId);
  await deps.db.transaction(async (trx) => {
    await deleteClientRow(trx, row.clientId);
    await audit(trx, deps, actor, 'admin.client.delete', null, { clientId: row.clientId });
  });
  deps.clients?.invalidate(row.clientId);
}

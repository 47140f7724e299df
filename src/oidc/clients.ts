import crypto from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import type { Db } from '../db/knex.ts';
import type { SecretBox } from '../security/secrets.ts';
import { apiAccessOf, apisIntrospectedBy, type ClientApiAccess } from '../store/apis.ts';
import * as clientStore from '../store/clients.ts';
import { SCOPES } from './provider.ts';

export const SECRET_PURPOSE = 'client-secret';
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/**
 * The scope of the admin API. No client may request it unless an administrator granted it to that
 * client (`clients.admin_granted`); it is never part of a client's ordinary scope list.
 */
export const ADMIN_SCOPE = 'admin';

/**
 * The scope of the SCIM 2.0 provisioning API (/scim/v2/). Like `admin`, only an administrator grants
 * it, per client, and only to a first-party client; it is only ever honoured on client credentials
 * tokens (never on a user's token).
 */
export const SCIM_SCOPE = 'scim';

/** The ID token signing algorithms Tobira holds keys for (src/oidc/keys.ts). */
export const ID_TOKEN_ALGS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientSpec {
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  public?: boolean;
  grantTypes?: GrantType[];
  firstParty?: boolean;
  scope?: string;
  name?: string;
  /** Grant the admin scope (administrators only decide this; denied by default). */
  admin?: boolean;
  /** Grant the scim scope (SCIM provisioning; first-party clients only, denied by default). */
  scim?: boolean;
  /** id_token_signed_response_alg (default ES256). */
  idTokenAlg?: string;
  /** token_endpoint_auth_method (default client_secret_basic, or none for a public client). */
  authMethod?: string;
  /** The client's public keys for private_key_jwt: a JWK Set, or where to fetch it. */
  jwks?: { keys: Record<string, unknown>[] };
  jwksUri?: string;
  backchannelLogoutSessionRequired?: boolean;
  /** default_max_age in seconds: a sign-in older than this is asked again. */
  defaultMaxAge?: number;
  requireAuthTime?: boolean;
  /** Front-channel logout (OpenID Connect Front-Channel Logout 1.0): the page Tobira frames at logout. */
  frontchannelLogoutUri?: string;
  /** Frame it with `iss` and `sid` query parameters. */
  frontchannelLogoutSessionRequired?: boolean;
  /** Browser origins allowed to call the token, userinfo, revocation and introspection endpoints. */
  corsOrigins?: string[];
}

/** Where the client is registered: production refuses plain http for front-channel logout. */
export interface MetadataOptions {
  production?: boolean;
}

const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * An allowed CORS origin: http(s), scheme + host (+ port) only, no path, query, wildcard or userinfo.
 * Returns the origin in its normal form (lower-case host, default port dropped), or undefined.
 */
export function normalizeOrigin(o: string): string | undefined {
  if (typeof o !== 'string' || o.length > 300 || o.includes('*')) return undefined;
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return undefined;
  }
  if (!/^https?:$/.test(url.protocol)) return undefined;
  // Exactly scheme://host[:port]: nothing after the authority, no userinfo.
  const authority = o.slice(o.indexOf('//') + 2);
  if (!o.includes('//') || /[/?#@\\]/.test(authority) || !authority) return undefined;
  return url.origin;
}

/** Front-channel URI rules: http(s), no fragment, https in production (http only for localhost). */
export function frontchannelProblem(
  u: string,
  redirectUris: readonly string[],
  opts: MetadataOptions,
): string | undefined {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return 'not an absolute URL';
  }
  if (!/^https?:$/.test(url.protocol)) return 'must be http(s)';
  if (url.hash) return 'must not contain a fragment';
  if (opts.production && url.protocol === 'http:' && !LOCAL_HOSTS.test(url.hostname))
    return 'production requires https (http is allowed only for localhost)';
  // Front-Channel Logout 1.0 §2: same scheme, host and port as a registered redirect URI.
  const origins = redirectUris.map((r) => URL.parse(r)?.origin);
  if (!origins.includes(url.origin)) return 'must have the scheme, host and port of a redirect URI';
  return undefined;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** A client's public JWK Set: 1-10 public RSA, EC or OKP keys (a private or symmetric key is refused). */
export function checkJwks(jwks: unknown): string | undefined {
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!jwks || typeof jwks !== 'object' || !Array.isArray(keys) || !keys.length || keys.length > 10)
    return 'a JWK Set {"keys": [...]} with 1 to 10 keys';
  for (const k of keys as Record<string, unknown>[]) {
    if (!k || typeof k !== 'object' || !['RSA', 'EC', 'OKP'].includes(String(k.kty)))
      return 'each key must be an RSA, EC or OKP public key';
    if (PRIVATE_JWK_MEMBERS.some((m) => m in k)) return 'the keys must be public keys (no private members)';
  }
  return undefined;
}

export class ClientSpecError extends Error {}

function checkUri(u: string, what: string): void {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new ClientSpecError(`${what}: "${u}" is not an absolute URL`);
  }
  if (url.hash) throw new ClientSpecError(`${what}: "${u}" must not contain a fragment`);
  if (!/^https?:$/.test(url.protocol) && !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
    throw new ClientSpecError(
      `${what}: "${u}" must be http(s) or a private-use scheme such as com.example.app:`,
    );
  }
}

/** Builds provider metadata from a spec, validating what the provider would otherwise reject late. */
export function buildMetadata(spec: ClientSpec, opts: MetadataOptions = {}): Record<string, unknown> {
  if (!/^[A-Za-z0-9._~-]{1,100}$/.test(spec.clientId)) {
    throw new ClientSpecError('CLIENT_ID: use 1-100 letters, digits, ".", "_", "~" or "-"');
  }
  const grantTypes = spec.grantTypes?.length
    ? [...new Set(spec.grantTypes)]
    : ['authorization_code', 'refresh_token'];
  for (const g of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(g)) {
      throw new ClientSpecError(`--grant-type: "${g}" is not one of ${GRANT_TYPES.join(', ')}`);
    }
  }
  const authMethod = spec.authMethod ?? (spec.public ? 'none' : 'client_secret_basic');
  if (!(AUTH_METHODS as readonly string[]).includes(authMethod))
    throw new ClientSpecError(`--auth-method: "${authMethod}" is not one of ${AUTH_METHODS.join(', ')}`);
  if (spec.public && authMethod !== 'none')
    throw new ClientSpecError('--auth-method: a public client authenticates with none');
  if (!spec.public && authMethod === 'none')
    throw new ClientSpecError('--auth-method: none is for public clients (--public)');
  if (spec.public && grantTypes.includes('client_credentials')) {
    throw new ClientSpecError('--public: a public client cannot use client_credentials');
  }
  const idTokenAlg = spec.idTokenAlg ?? 'ES256';
  if (!(ID_TOKEN_ALGS as readonly string[]).includes(idTokenAlg))
    throw new ClientSpecError(`--id-token-alg: "${idTokenAlg}" is not one of ${ID_TOKEN_ALGS.join(', ')}`);
  if (spec.jwks && spec.jwksUri) throw new ClientSpecError('--jwks and --jwks-uri: give one, not both');
  if (spec.jwks) {
    const problem = checkJwks(spec.jwks);
    if (problem) throw new ClientSpecError(`--jwks: ${problem}`);
  }
  if (spec.jwksUri) {
    checkUri(spec.jwksUri, '--jwks-uri');
    if (!/^https?:/.test(spec.jwksUri)) throw new ClientSpecError('--jwks-uri: must be http(s)');
  }
  if (authMethod === 'private_key_jwt' && !spec.jwks && !spec.jwksUri)
    throw new ClientSpecError('--auth-method private_key_jwt: the client needs --jwks or --jwks-uri');
  if (spec.backchannelLogoutSessionRequired && !spec.backchannelLogoutUri)
    throw new ClientSpecError('--backchannel-logout-session-required: needs --backchannel-logout-uri');
  if (
    spec.defaultMaxAge !== undefined &&
    (!Number.isInteger(spec.defaultMaxAge) || spec.defaultMaxAge < 0 || spec.defaultMaxAge > 31_536_000)
  )
    throw new ClientSpecError('--default-max-age: seconds, 0 to 31536000');
  const usesCode = grantTypes.includes('authorization_code');
  if (usesCode && !spec.redirectUris.length)
    throw new ClientSpecError('--redirect-uri: at least one is required');
  for (const u of spec.redirectUris) checkUri(u, '--redirect-uri');
  for (const u of spec.postLogoutRedirectUris ?? []) checkUri(u, '--post-logout-redirect-uri');
  if (spec.backchannelLogoutUri) checkUri(spec.backchannelLogoutUri, '--backchannel-logout-uri');
  if (spec.frontchannelLogoutSessionRequired && !spec.frontchannelLogoutUri)
    throw new ClientSpecError('--frontchannel-logout-session-required: needs --frontchannel-logout-uri');
  if (spec.frontchannelLogoutUri) {
    const problem = frontchannelProblem(spec.frontchannelLogoutUri, usesCode ? spec.redirectUris : [], opts);
    if (problem)
      throw new ClientSpecError(`--frontchannel-logout-uri: "${spec.frontchannelLogoutUri}" ${problem}`);
  }
  const corsOrigins: string[] = [];
  for (const o of spec.corsOrigins ?? []) {
    const origin = normalizeOrigin(o);
    if (!origin)
      throw new ClientSpecError(
        `--cors-origin: "${o}" is not an origin (http(s)://host[:port], no path, no wildcard)`,
      );
    if (!corsOrigins.includes(origin)) corsOrigins.push(origin);
  }
  if (corsOrigins.length > 50) throw new ClientSpecError('--cors-origin: at most 50 origins');
  if (spec.scope?.split(' ').includes(ADMIN_SCOPE)) {
    throw new ClientSpecError('--scope: the admin scope is not listed in --scope; grant it with --admin');
  }
  if (spec.scope?.split(' ').includes(SCIM_SCOPE)) {
    throw new ClientSpecError('--scope: the scim scope is not listed in --scope; grant it with --scim');
  }
  if (spec.scim && !spec.firstParty)
    throw new ClientSpecError('--scim: only a first-party client (--first-party) may be granted SCIM');
  return {
    client_id: spec.clientId,
    client_name: spec.name ?? spec.clientId,
    redirect_uris: usesCode ? spec.redirectUris : [],
    post_logout_redirect_uris: spec.postLogoutRedirectUris ?? [],
    grant_types: grantTypes,
    response_types: usesCode ? ['code'] : [],
    token_endpoint_auth_method: authMethod,
    id_token_signed_response_alg: idTokenAlg,
    ...(spec.jwks ? { jwks: spec.jwks } : {}),
    ...(spec.jwksUri ? { jwks_uri: spec.jwksUri } : {}),
    ...(spec.backchannelLogoutUri
      ? {
          backchannel_logout_uri: spec.backchannelLogoutUri,
          backchannel_logout_session_required: !!spec.backchannelLogoutSessionRequired,
        }
      : {}),
    ...(spec.frontchannelLogoutUri
      ? {
          frontchannel_logout_uri: spec.frontchannelLogoutUri,
          frontchannel_logout_session_required: !!spec.frontchannelLogoutSessionRequired,
        }
      : {}),
    ...(corsOrigins.length ? { cors_origins: corsOrigins } : {}),
    ...(spec.defaultMaxAge !== undefined ? { default_max_age: spec.defaultMaxAge } : {}),
    ...(spec.requireAuthTime ? { require_auth_time: true } : {}),
    ...(spec.scope ? { scope: spec.scope } : {}),
  };
}

/** Stores a new client; returns the generated secret (shown once) for a confidential client. */
export async function addClient(
  db: Db,
  box: SecretBox,
  spec: ClientSpec,
  now: Date,
  opts: MetadataOptions = {},
): Promise<string | undefined> {
  const metadata = buildMetadata(spec, opts);
  const secret = spec.public ? undefined : crypto.randomBytes(32).toString('base64url');
  await clientStore.insertClient(
    db,
    {
      clientId: spec.clientId,
      metadata,
      secretEncrypted: secret ? box.encrypt(SECRET_PURPOSE, secret) : null,
      firstParty: !!spec.firstParty,
      adminGranted: !!spec.admin,
      scimGranted: !!spec.scim,
    },
    now,
  );
  return secret;
}

/** Creates or updates a built-in client (the portal, the demo) with a secret derived from SECRET_KEY. */
export async function ensureBuiltinClient(
  db: Db,
  box: SecretBox,
  spec: ClientSpec,
  now: Date,
): Promise<string> {
  const secret = box.hmac('builtin-client', spec.clientId);
  await clientStore.upsertClient(
    db,
    {
      clientId: spec.clientId,
      metadata: buildMetadata(spec),
      secretEncrypted: box.encrypt(SECRET_PURPOSE, secret),
      firstParty: true,
    },
    now,
  );
  return secret;
}

export interface CachedClient {
  payload: AdapterPayload;
  firstParty: boolean;
  adminGranted: boolean;
  scimGranted?: boolean;
  /** The APIs an administrator granted this client, by resource indicator (store/apis.ts). */
  apis?: ReadonlyMap<string, ClientApiAccess>;
  /** The APIs this client is the introspecting client of (their opaque tokens it may introspect). */
  introspects?: ReadonlySet<string>;
}

/**
 * The scopes the provider lets a client request (its `scope` metadata, an allow-list): its own list,
 * or every scope when it has none, with `admin` only when an administrator granted it. A request for
 * a scope outside the list is refused with invalid_scope at the authorization and token endpoints.
 */
export function allowedScopes(metadataScope: unknown, adminGranted: boolean, scimGranted = false): string {
  const listed =
    typeof metadataScope === 'string' && metadataScope.trim() ? metadataScope.split(' ') : SCOPES;
  const scopes = listed.filter((s) => s && s !== ADMIN_SCOPE && s !== SCIM_SCOPE);
  if (adminGranted) scopes.push(ADMIN_SCOPE);
  if (scimGranted) scopes.push(SCIM_SCOPE);
  return [...new Set(scopes)].join(' ');
}

/**
 * Whether a user's token for this client may carry the admin scope: only a first-party client that
 * an administrator granted it. A third-party client never gets it for a user, even when granted it
 * for its own client-credentials tokens.
 */
export function adminScopeForUsers(client: CachedClient | undefined): boolean {
  return !!client?.firstParty && !!client.adminGranted;
}

/**
 * Clients are read through a short-lived in-process cache so the token endpoint does not query the
 * database for the client on every request; a change made on another instance shows within the TTL.
 * A client's API grants (store/apis.ts) are read with it and expire with it.
 */
export class ClientCache {
  readonly #db: Db;
  readonly #box: SecretBox;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { at: number; value: CachedClient | undefined }>();
  /**
   * Counts invalidations: a read that began before one is answered but not kept, so a change (a
   * withdrawn grant, a revoked admin scope) is never put back into the cache by a read that raced it.
   */
  #generation = 0;

  constructor(db: Db, box: SecretBox, ttlMs = 30_000) {
    this.#db = db;
    this.#box = box;
    this.#ttlMs = ttlMs;
  }

  async get(clientId: string): Promise<CachedClient | undefined> {
    const hit = this.#entries.get(clientId);
    const generation = this.#generation;
    const now = Date.now();
    // An unknown id is remembered only briefly, so a client added elsewhere shows up at once.
    if (hit && now - hit.at < (hit.value ? this.#ttlMs : Math.min(this.#ttlMs, 2000))) return hit.value;
    const row = await clientStore.findClient(this.#db, clientId);
    let value: CachedClient | undefined;
    if (row) {
      const payload = {
        ...row.metadata,
        client_id: row.clientId,
        scope: allowedScopes(row.metadata.scope, row.adminGranted, row.scimGranted && row.firstParty),
      } as AdapterPayload;
      if (row.secretEncrypted)
        payload.client_secret = this.#box.decryptString(SECRET_PURPOSE, row.secretEncrypted);
      value = {
        payload,
        firstParty: row.firstParty,
        adminGranted: row.adminGranted,
        scimGranted: row.scimGranted && row.firstParty,
        apis: new Map((await apiAccessOf(this.#db, clientId)).map((a) => [a.identifier, a])),
        introspects: new Set(await apisIntrospectedBy(this.#db, clientId)),
      };
    }
    if (generation !== this.#generation) return value;
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(clientId, { at: now, value });
    return value;
  }

  #origins?: { at: number; value: Promise<Set<string>> };

  /**
   * The origins any client allows for CORS (preflights name no client), read from every client at
   * most once per TTL; a client change on this instance drops it at once.
   */
  knownOrigins(): Promise<Set<string>> {
    const now = Date.now();
    if (!this.#origins || now - this.#origins.at >= this.#ttlMs) {
      const value = clientStore.listClientMetadata(this.#db).then(corsOriginsOf);
      this.#origins = { at: now, value };
      value.catch(() => {
        if (this.#origins?.value === value) this.#origins = undefined;
      });
    }
    return this.#origins.value;
  }

  invalidate(clientId?: string): void {
    this.#generation++;
    if (clientId) this.#entries.delete(clientId);
    else this.#entries.clear();
    this.#origins = undefined;
  }
}

/** The command-line flags for the per-client settings, shared by `client add` and `client update`. */
export const CLIENT_SETTING_FLAGS = {
  'id-token-alg': { type: 'string' },
  'auth-method': { type: 'string' },
  jwks: { type: 'string' },
  'jwks-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'default-max-age': { type: 'string' },
  'require-auth-time': { type: 'boolean' },
  'frontchannel-logout-uri': { type: 'string' },
  'frontchannel-logout-session-required': { type: 'boolean' },
  'cors-origin': { type: 'string', multiple: true },
} as const;

/**
 * The settings given as flags, in the admin API's field names. An empty string clears a setting
 * (null); --jwks takes JSON text or @FILE.
 */
export function settingsFromFlags(
  values: Record<string, unknown>,
  readFile: (path: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const str = (k: string) => values[k] as string | undefined;
  if (str('id-token-alg') !== undefined) out.idTokenAlg = str('id-token-alg');
  if (str('auth-method') !== undefined) out.authMethod = str('auth-method');
  if (str('jwks-uri') !== undefined) out.jwksUri = str('jwks-uri') || null;
  const jwks = str('jwks');
  if (jwks !== undefined) {
    if (jwks === '') out.jwks = null;
    else {
      const text = jwks.startsWith('@') ? readFile(jwks.slice(1)) : jwks;
      try {
        out.jwks = JSON.parse(text);
      } catch {
        throw new ClientSpecError('--jwks: not JSON (give the JWK Set as JSON text or @FILE)');
      }
    }
  }
  const maxAge = str('default-max-age');
  if (maxAge !== undefined) {
    if (maxAge === '') out.defaultMaxAge = null;
    else if (!/^\d{1,9}$/.test(maxAge))
      throw new ClientSpecError('--default-max-age: seconds, 0 to 31536000');
    else out.defaultMaxAge = Number(maxAge);
  }
  if (values['backchannel-logout-session-required'] !== undefined)
    out.backchannelLogoutSessionRequired = values['backchannel-logout-session-required'];
  if (values['require-auth-time'] !== undefined) out.requireAuthTime = values['require-auth-time'];
  if (str('frontchannel-logout-uri') !== undefined)
    out.frontchannelLogoutUri = str('frontchannel-logout-uri') || null;
  if (values['frontchannel-logout-session-required'] !== undefined)
    out.frontchannelLogoutSessionRequired = values['frontchannel-logout-session-required'];
  // `--cors-origin ""` clears the list.
  const cors = values['cors-origin'] as string[] | undefined;
  if (cors !== undefined) out.corsOrigins = cors.filter((o) => o !== '');
  return out;
}

/** The routes that answer CORS requests per client (oidc-provider's client-based CORS). */
export const CLIENT_CORS_PATHS = new Set(['/token', '/me', '/token/revocation', '/token/introspection']);

/**
 * Whether a browser at `origin` may call the token, userinfo, revocation or introspection endpoint
 * for this client: the origins listed for it (`cors_origins`), and for a public client (a SPA) the
 * origins of its redirect URIs too. A confidential client's redirect URIs allow nothing by themselves:
 * its secret does not belong in a browser. The opaque origin "null" is never allowed.
 */
export function corsAllowed(origin: string, meta: Record<string, unknown>): boolean {
  if (!origin || origin === 'null') return false;
  const listed = Array.isArray(meta.cors_origins) ? (meta.cors_origins as string[]) : [];
  if (listed.includes(origin)) return true;
  if (meta.token_endpoint_auth_method !== 'none') return false;
  const redirects = Array.isArray(meta.redirect_uris) ? (meta.redirect_uris as string[]) : [];
  return redirects.some((u) => URL.parse(u)?.origin === origin);
}

/** Every origin some client allows (what a preflight, which names no client, is judged by). */
export function corsOriginsOf(metas: Iterable<Record<string, unknown>>): Set<string> {
  const out = new Set<string>();
  for (const m of metas) {
    for (const o of Array.isArray(m.cors_origins) ? (m.cors_origins as string[]) : []) out.add(o);
    if (m.token_endpoint_auth_method === 'none')
      for (const u of Array.isArray(m.redirect_uris) ? (m.redirect_uris as string[]) : []) {
        const o = URL.parse(u)?.origin;
        if (o && o !== 'null') out.add(o);
      }
  }
  return out;
}

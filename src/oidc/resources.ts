import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { CachedClient } from './clients.ts';

/**
 * Access tokens for APIs (RFC 8707 resource indicators), as Entra's application permissions: a
 * client-credentials request that names an API with `resource` gets a token for that API alone
 * (`aud`), carrying only scopes an administrator granted this client there (store/apis.ts). Without
 * `scope`, the token carries every granted scope (Entra's `/.default`); a scope that is not granted is
 * refused (invalid_scope), never silently dropped. An unknown API and one the client holds no grant on
 * get the same answer (invalid_target), so a client cannot learn which APIs exist.
 *
 * Resources are for the client credentials grant only: a user's tokens (authorization code, refresh)
 * stay Tobira's own, so a `resource` at the authorization endpoint or with another grant is refused.
 */
export async function resourceServerInfo(
  ctx: KoaContextWithOIDC,
  identifier: string,
  clientInfo: (clientId: string) => Promise<CachedClient | undefined>,
): Promise<ResourceServer> {
  const { oidc } = ctx;
  if (oidc.route !== 'token' || oidc.params?.grant_type !== 'client_credentials')
    throw new errors.InvalidTarget('resource indicators are accepted with the client_credentials grant only');
  // The provider refuses several for this grant too, but only after asking for each; refuse at once.
  if (Array.isArray(oidc.params.resource) && oidc.params.resource.length > 1)
    throw new errors.InvalidTarget('only a single resource indicator value is supported for this grant type');
  const clientId = oidc.client?.clientId;
  const access = clientId ? (await clientInfo(clientId))?.apis?.get(identifier) : undefined;
  if (!access) throw new errors.InvalidTarget('the client may not ask for tokens for this resource');
  const granted = new Set(access.scopes);
  const asked = typeof oidc.params.scope === 'string' ? oidc.params.scope.split(' ').filter(Boolean) : [];
  for (const s of asked)
    if (!granted.has(s))
      throw new errors.InvalidScope('requested scope is not granted to the client for this resource', s);
  // No scope asked: every scope granted (the provider keeps the asked ones that the resource has).
  if (!asked.length) oidc.params.scope = access.scopes.join(' ') || undefined;
  return {
    scope: access.scopes.join(' '),
    audience: identifier,
    accessTokenTTL: access.tokenTtlSeconds,
    accessTokenFormat: access.tokenFormat,
    ...(access.tokenFormat === 'jwt' ? { jwt: { sign: { alg: access.signingAlg } } } : {}),
  } as ResourceServer;
}

import type { Context } from 'koa';
import type { AppDeps } from '../../../app/deps.ts';
import { SCIM_SCOPE } from '../../../oidc/clients.ts';
import { BEARER, clientActor, TokenError } from '../auth.ts';
import type { Actor, Permission } from '../permissions.ts';

const SPACE = { realm: 'tobira-scim', scope: SCIM_SCOPE };
const MISSING = 'a bearer access token is required';
const invalid = () => new TokenError(401, 'invalid_token', 'the access token is not valid', SPACE);
const SCIM_PERMISSIONS: readonly Permission[] = ['users.read', 'users.write', 'groups.read', 'groups.write'];

/**
 * Authorizes a SCIM request, like the admin API's bearer check (flows/admin/auth.ts) but narrower:
 * only a client credentials token carrying the `scim` scope, from a first-party client an
 * administrator granted it. The grant is read at every request (through the client cache), so
 * revoking it stops the tokens already issued. A user's access token, an admin-only token, or a
 * token of a client without the grant gets 403; no token or an unknown one 401. The actor may read
 * and write users and groups, nothing else (no policy, clients, roles or audit).
 */
export async function authenticateScim(deps: AppDeps, ctx: Context): Promise<Actor> {
  const header = ctx.get('authorization');
  const m = BEARER.exec(header);
  if (!m) throw header ? invalid() : new TokenError(401, 'invalid_token', MISSING, SPACE);
  const value = m[1];
  if (value.length > 512) throw invalid();
  const provider = deps.provider();
  const cc = await provider.ClientCredentials.find(value);
  if (!cc) {
    // A user's token is never a provisioning credential, whatever its scopes.
    if (await provider.AccessToken.find(value))
      throw new TokenError(403, 'insufficient_scope', 'SCIM takes client credentials tokens only', SPACE);
    throw invalid();
  }
  // A token for an API (RFC 8707: it names its audience) is that API's, never SCIM's.
  if (cc.isExpired || cc.isSenderConstrained() || !cc.clientId || cc.aud !== undefined) throw invalid();
  const client = await deps.clients.get(cc.clientId);
  if (!client) throw invalid();
  if (!cc.scopes.has(SCIM_SCOPE))
    throw new TokenError(403, 'insufficient_scope', 'the scim scope is required', SPACE);
  if (!client.scimGranted || !client.firstParty)
    throw new TokenError(403, 'insufficient_scope', 'this client is not granted the scim scope', SPACE);
  return clientActor(ctx, cc.clientId, SCIM_PERMISSIONS, 'scim');
}

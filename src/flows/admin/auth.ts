import type { Context } from 'koa';
import type { AppDeps } from '../../app/deps.ts';
import { AppError } from '../../http/errors.ts';
import { ACR_MFA } from '../../oidc/acr.ts';
import { ADMIN_SCOPE, adminScopeForUsers } from '../../oidc/clients.ts';
import { findUserById } from '../../store/users.ts';
import { type Actor, PERMISSIONS, type Permission, permissionsForRoles } from './permissions.ts';

export const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/;
const MISSING = 'a bearer access token is required';

export class TokenError extends AppError {
  readonly wwwAuthenticate: string;
  constructor(
    status: 401 | 403,
    error: 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | 'forbidden',
    description: string,
    /** The protection space: the admin API's by default, or SCIM's (its own realm and scope). */
    space: { realm: string; scope: string } = { realm: 'tobira-admin', scope: ADMIN_SCOPE },
  ) {
    super(
      error,
      status,
      error === 'insufficient_scope'
        ? 'admin.error.insufficientScope'
        : error === 'insufficient_user_authentication'
          ? 'admin.error.secondFactorRequired'
          : status === 401
            ? 'admin.error.unauthorized'
            : 'admin.error.forbidden',
    );
    const params = [`realm="${space.realm}"`];
    // A request without any token gets no error code (RFC 6750 §3.1).
    if (error !== 'forbidden' && description !== MISSING)
      params.push(`error="${error}"`, `error_description="${description}"`);
    if (error === 'insufficient_scope') params.push(`scope="${space.scope}"`);
    // The step-up challenge of RFC 9470: sign in again with a second factor.
    if (error === 'insufficient_user_authentication') params.push(`acr_values="${ACR_MFA}"`);
    this.wwwAuthenticate = `Bearer ${params.join(', ')}`;
  }
}

/** The actor of an automation client's request (client credentials), with what it may do. */
export function clientActor(
  ctx: Context,
  clientId: string,
  permissions: Iterable<Permission>,
  via: 'api' | 'scim',
): Actor {
  return {
    id: `client:${clientId}`,
    kind: 'client',
    label: clientId,
    permissions: new Set(permissions),
    via,
    ...requestMeta(ctx),
  };
}

const requestMeta = (ctx: Context) => ({
  ip: ctx.state.meta?.ip ?? null,
  userAgent: ctx.state.meta?.userAgent ?? null,
});

/**
 * Authorizes an admin API request by an opaque access token this provider issued: either a client
 * credentials token with the admin scope from a client an administrator granted it (automation: full
 * administration), or a user's access token with the admin scope, issued to a first-party client
 * granted it, from a sign-in with a second factor (acr mfa, recorded in the token), whose user is an
 * active administrator or helpdesk member. The client's grant is read at every request, so revoking
 * it stops the tokens already issued. Tokens bound to a key (DPoP, mTLS) are not accepted as plain
 * bearer tokens.
 */
export async function authenticateBearer(deps: AppDeps, ctx: Context): Promise<Actor> {
  const header = ctx.get('authorization');
  const m = BEARER.exec(header);
  if (!m) throw new TokenError(401, 'invalid_token', header ? 'the access token is not valid' : MISSING);
  const value = m[1];
  if (value.length > 512) throw new TokenError(401, 'invalid_token', 'the access token is not valid');
  const provider = deps.provider();

  const at = await provider.AccessToken.find(value);
  if (at) {
    if (at.isExpired || at.isSenderConstrained())
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    const client = at.clientId ? await deps.clients.get(at.clientId) : undefined;
    if (!client) throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!at.scopes.has(ADMIN_SCOPE))
      throw new TokenError(403, 'insufficient_scope', 'the admin scope is required');
    if (!adminScopeForUsers(client))
      throw new TokenError(403, 'insufficient_scope', 'this client is not granted the admin scope');
    const user = at.accountId ? await findUserById(deps.db, at.accountId) : undefined;
    if (user?.status !== 'active')
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    const permissions = permissionsForRoles(user.roles);
    if (!permissions.size) throw new TokenError(403, 'forbidden', 'administrators and helpdesk only');
    if ((at.extra as { acr?: unknown } | undefined)?.acr !== ACR_MFA)
      throw new TokenError(
        403,
        'insufficient_user_authentication',
        'a sign-in with a second factor is required',
      );
    return { id: user.id, kind: 'user', label: user.login, permissions, via: 'api', ...requestMeta(ctx) };
  }

  const cc = await provider.ClientCredentials.find(value);
  if (cc) {
    // A token for an API (RFC 8707: it names its audience) is that API's, never the admin API's.
    if (cc.isExpired || cc.isSenderConstrained() || cc.aud !== undefined)
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    const client = cc.clientId ? await deps.clients.get(cc.clientId) : undefined;
    if (!client || !cc.clientId) throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!cc.scopes.has(ADMIN_SCOPE))
      throw new TokenError(403, 'insufficient_scope', 'the admin scope is required');
    if (!client.adminGranted)
      throw new TokenError(403, 'insufficient_scope', 'this client is not granted the admin scope');
    return clientActor(ctx, cc.clientId, PERMISSIONS, 'api');
  }
  throw new TokenError(401, 'invalid_token', 'the access token is not valid');
}

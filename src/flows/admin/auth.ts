import type { Context } from 'koa';
import type { AppDeps } from '../../app.ts';
import { AppError } from '../../http/errors.ts';
import { findUserById } from '../../store/users.ts';
import { type Actor, PERMISSIONS, permissionsForRoles } from './permissions.ts';

/** The scope an access token needs for the admin API. */
export const ADMIN_SCOPE = 'admin';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/;
const MISSING = 'a bearer access token is required';

export class TokenError extends AppError {
  readonly wwwAuthenticate: string;
  constructor(
    status: 401 | 403,
    error: 'invalid_token' | 'insufficient_scope' | 'forbidden',
    description: string,
  ) {
    super(
      error,
      status,
      error === 'insufficient_scope'
        ? 'admin.error.insufficientScope'
        : status === 401
          ? 'admin.error.unauthorized'
          : 'admin.error.forbidden',
    );
    const params = [`realm="tobira-admin"`];
    // A request without any token gets no error code (RFC 6750 §3.1).
    if (error !== 'forbidden' && description !== MISSING)
      params.push(`error="${error}"`, `error_description="${description}"`);
    if (error === 'insufficient_scope') params.push(`scope="${ADMIN_SCOPE}"`);
    this.wwwAuthenticate = `Bearer ${params.join(', ')}`;
  }
}

/**
 * Authorizes an admin API request by an opaque access token this provider issued: either a client
 * credentials token with the admin scope (automation: full administration), or a user's access
 * token with the admin scope whose user is an active administrator or helpdesk member. Tokens bound
 * to a key (DPoP, mTLS) are not accepted as plain bearer tokens.
 */
export async function authenticateBearer(deps: AppDeps, ctx: Context): Promise<Actor> {
  const header = ctx.get('authorization');
  const m = BEARER.exec(header);
  if (!m) throw new TokenError(401, 'invalid_token', header ? 'the access token is not valid' : MISSING);
  const value = m[1];
  if (value.length > 512) throw new TokenError(401, 'invalid_token', 'the access token is not valid');
  const provider = deps.provider();
  const meta = { ip: ctx.state.meta?.ip ?? null, userAgent: ctx.state.meta?.userAgent ?? null };

  const at = await provider.AccessToken.find(value);
  if (at) {
    if (at.isExpired || at.isSenderConstrained())
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!at.clientId || !(await deps.clients.get(at.clientId)))
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!at.scopes.has(ADMIN_SCOPE))
      throw new TokenError(403, 'insufficient_scope', 'the admin scope is required');
    const user = at.accountId ? await findUserById(deps.db, at.accountId) : undefined;
    if (user?.status !== 'active')
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    const permissions = permissionsForRoles(user.roles);
    if (!permissions.size) throw new TokenError(403, 'forbidden', 'administrators and helpdesk only');
    return { id: user.id, kind: 'user', label: user.login, permissions, via: 'api', ...meta };
  }

  const cc = await provider.ClientCredentials.find(value);
  if (cc) {
    if (cc.isExpired || cc.isSenderConstrained())
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!cc.clientId || !(await deps.clients.get(cc.clientId)))
      throw new TokenError(401, 'invalid_token', 'the access token is not valid');
    if (!cc.scopes.has(ADMIN_SCOPE))
      throw new TokenError(403, 'insufficient_scope', 'the admin scope is required');
    return {
      id: `client:${cc.clientId}`,
      kind: 'client',
      label: cc.clientId,
      permissions: new Set(PERMISSIONS),
      via: 'api',
      ...meta,
    };
  }
  throw new TokenError(401, 'invalid_token', 'the access token is not valid');
}

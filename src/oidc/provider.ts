import Provider, { type Configuration, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.ts';
import type { Db } from '../db/knex.ts';
import { brandCssHref } from '../flows/admin/branding.ts';
import type { Views } from '../http/views.ts';
import { negotiateLocale, translator } from '../i18n/index.ts';
import { policyFromSettings } from '../policy/settings.ts';
import { readSettings } from '../store/settings.ts';
import { findUserById } from '../store/users.ts';
import { ACR_MFA, ACR_VALUES } from './acr.ts';
import { type ClientLoader, createAdapterClass } from './adapter.ts';
import { DestinationPolicy, providerFetch } from './backchannel.ts';
import type { KeySet } from './keys.ts';

export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'admin'];

export const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 3600,
  IdToken: 3600,
  Interaction: 3600,
  Session: 14 * 24 * 3600,
  Grant: 14 * 24 * 3600,
  RefreshToken: 14 * 24 * 3600,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
};

export interface ProviderDeps {
  config: Config;
  db: Db;
  views: Views;
  keys: KeySet;
  loadClient: ClientLoader;
}

function localeOf(ctx: KoaContextWithOIDC, fallback: Config['defaultLocale']) {
  return negotiateLocale(
    {
      uiLocales: (ctx.oidc?.params?.ui_locales as string | undefined) ?? null,
      cookie: ctx.cookies.get('tobira.lang') ?? null,
      acceptLanguage: ctx.get('accept-language'),
    },
    fallback,
  );
}

async function page(
  ctx: KoaContextWithOIDC,
  deps: ProviderDeps,
  template: string,
  data: Record<string, unknown>,
) {
  const { organizationName, accentColor } = policyFromSettings(await readSettings(deps.db));
  const locale = localeOf(ctx, deps.config.defaultLocale);
  const t = translator(locale);
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = deps.views.render(template, {
    t,
    locale,
    locales: ['en', 'ja'],
    org: organizationName,
    // The provider's own pages (logout, errors) carry the organization's colour too; its logo is an
    // image from another origin this page's CSP does not allow, so the layout's mark shows instead.
    brandCss: brandCssHref({ org: organizationName, logoUrl: '', accentColor }),
    status: ctx.status,
    here: '/',
    dev: !deps.config.production,
    ...data,
    message: typeof data.message === 'function' ? (data.message as (t: unknown) => string)(t) : data.message,
  });
}

/**
 * The base policy plus one check: an app that asks for multi-factor sign-in through acr_values gets a
 * new sign-in when the session's was single-factor (acr_values is only voluntary in the provider).
 */
function interactionPolicyWithMfa() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('acr_mfa', 'multi-factor authentication requested', (ctx) => {
      const requested = String(ctx.oidc.params?.acr_values ?? '').split(' ');
      if (!requested.includes(ACR_MFA)) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return ctx.oidc.session?.acr === ACR_MFA
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

export function mfaRequested(params: Record<string, unknown>): boolean {
  return String(params.acr_values ?? '')
    .split(' ')
    .includes(ACR_MFA);
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, db } = deps;
  const secure = config.issuer.startsWith('https:');
  const cookieOpts = { signed: true, httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };

  const configuration: Configuration = {
    adapter: createAdapterClass(db, deps.loadClient),
    clients: [],
    jwks: deps.keys.jwks as Configuration['jwks'],
    cookies: {
      keys: deps.keys.cookieKeys,
      long: cookieOpts,
      short: cookieOpts,
      names: { session: 'tobira.session', interaction: 'tobira.interaction', resume: 'tobira.resume' },
    },
    scopes: SCOPES,
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username', 'locale', 'updated_at'],
      email: ['email', 'email_verified'],
    },
    acrValues: ACR_VALUES,
    responseTypes: ['code'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      userinfoSigningAlgValues: ['ES256', 'RS256'],
      introspectionSigningAlgValues: ['ES256', 'RS256'],
      authorizationSigningAlgValues: ['ES256', 'RS256'],
    },
    features: {
      devInteractions: { enabled: false },
      // A client may introspect or revoke only its own tokens.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      clientCredentials: { enabled: true },
      backchannelLogout: { enabled: true },
      claimsParameter: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => page(ctx, deps, 'signin/logout', { form }),
        postLogoutSuccessSource: async (ctx) => page(ctx, deps, 'signin/logged-out', {}),
      },
    },
    // Logout tokens may go to the non-public networks the operator allows (BACKCHANNEL_ALLOWED_NETWORKS).
    fetch: providerFetch(new DestinationPolicy(config.backchannelAllowedNetworks)) as Configuration['fetch'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: TTL,
    // A user's access token records how its user signed in (the code's or refresh token's acr), so the
    // admin API can require a second factor from the token alone.
    extraTokenClaims: async (ctx, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const source = ctx?.oidc?.entities?.AuthorizationCode ?? ctx?.oidc?.entities?.RefreshToken;
      return source?.acr ? { acr: source.acr } : undefined;
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithMfa(),
    },
    findAccount: async (_ctx, sub) => {
      const user = await findUserById(db, sub);
      if (user?.status !== 'active') return undefined;
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          name: user.displayName || user.login,
          preferred_username: user.login,
          email: user.email ?? undefined,
          email_verified: user.email ? false : undefined,
          locale: user.locale ?? undefined,
          updated_at: Math.floor(user.updatedAt.getTime() / 1000),
        }),
      };
    },
    renderError: async (ctx, out, error) => {
      const code = (out as { error?: string }).error ?? 'server_error';
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      ctx.status = status;
      await page(ctx, deps, 'error', {
        message:
          code === 'invalid_request' && /session|interaction/i.test(String((error as Error).message))
            ? (t: any) => t('error.interaction_expired')
            : (t: any) => (status >= 500 ? t('error.http.500') : t('error.oidc', { code })),
      });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  // Every ID token carries the session's sid for its client (the library adds it only for clients
  // registered for back-channel logout with a required session), so any app can match a logout token.
  (provider.Client.prototype as { includeSid(): boolean }).includeSid = () => true;
  return provider;
}

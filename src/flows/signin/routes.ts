import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../../app.ts';
import { readForm } from '../../http/body.ts';
import { verifyCsrf } from '../../http/csrf.ts';
import { AppError } from '../../http/errors.ts';
import { applyUiLocales, render } from '../../http/views.ts';
import { ACR_PASSWORD } from '../../oidc/acr.ts';
import { checkPassword } from './service.ts';

const UID = /^[A-Za-z0-9_-]{10,64}$/;

export function signInRoutes(deps: AppDeps): Router {
  const router = new Router();

  async function details(ctx: Context) {
    const uid = ctx.params.uid;
    if (!UID.test(uid)) throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    try {
      const d = await deps.provider().interactionDetails(ctx.req, ctx.res);
      if (d.uid !== uid) throw new Error('uid mismatch');
      applyUiLocales(ctx, d.params.ui_locales);
      return d;
    } catch {
      throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    }
  }

  async function clientName(clientId: string | undefined) {
    const c = clientId ? await deps.clients.get(clientId) : undefined;
    return (c?.payload.client_name as string) || clientId || '';
  }

  async function finish(ctx: Context, result: Record<string, unknown>, merge = true) {
    const url = await deps
      .provider()
      .interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.redirect(url);
  }

  /** First-party apps are trusted: grant what they asked for without showing a consent page. */
  async function grantConsent(ctx: Context, d: Awaited<ReturnType<typeof details>>) {
    const provider = deps.provider();
    const accountId = d.session?.accountId;
    const clientId = d.params.client_id as string;
    const grant = d.grantId
      ? await provider.Grant.find(d.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) throw new AppError('interaction.not_found', 400, 'error.interaction_expired');
    const missing = d.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await finish(ctx, { consent: { grantId } });
  }

  router.get('/interaction/:uid', async (ctx) => {
    const d = await details(ctx);
    const clientId = d.params.client_id as string;
    if (d.prompt.name === 'login') {
      render(ctx, deps.views, 'signin/login', {
        uid: d.uid,
        clientName: await clientName(clientId),
        username: typeof d.params.login_hint === 'string' ? d.params.login_hint.slice(0, 256) : '',
      });
      return;
    }
    if (d.prompt.name === 'consent') {
      const client = await deps.clients.get(clientId);
      if (client?.firstParty) return grantConsent(ctx, d);
      const t = ctx.state.t;
      const scopes = String(d.params.scope ?? '')
        .split(' ')
        .filter(Boolean)
        .map((s) =>
          ['openid', 'profile', 'email', 'offline_access'].includes(s)
            ? t(`consent.scope.${s}`)
            : t('consent.scope.other', { scope: s }),
        );
      render(ctx, deps.views, 'signin/consent', {
        uid: d.uid,
        clientName: await clientName(clientId),
        scopes,
      });
      return;
    }
    throw new AppError('interaction.unknown_prompt', 400, 'error.interaction_expired');
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const form = await readForm(ctx);
    verifyCsrf(ctx, form, deps.issuerOrigin);
    const d = await details(ctx);
    if (d.prompt.name !== 'login')
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    const username = (form.username ?? '').slice(0, 256);
    const password = (form.password ?? '').slice(0, 1024);
    const name = await clientName(d.params.client_id as string);
    if (!username.trim() || !password) {
      render(
        ctx,
        deps.views,
        'signin/login',
        {
          uid: d.uid,
          here: `/interaction/${d.uid}`,
          clientName: name,
          username,
          error: ctx.state.t('signin.missing'),
        },
        400,
      );
      return;
    }
    const result = await checkPassword(deps, username, password, ctx.state.meta);
    deps.metrics.signIns.inc({ result: result.ok ? 'succeeded' : 'failed' });
    if (!result.ok) {
      render(
        ctx,
        deps.views,
        'signin/login',
        {
          uid: d.uid,
          here: `/interaction/${d.uid}`,
          clientName: name,
          username,
          error: ctx.state.t('signin.invalid'),
        },
        401,
      );
      return;
    }
    await finish(
      ctx,
      { login: { accountId: result.user.id, amr: ['pwd'], acr: ACR_PASSWORD, remember: true } },
      false,
    );
  });

  router.post('/interaction/:uid/confirm', async (ctx) => {
    const form = await readForm(ctx);
    verifyCsrf(ctx, form, deps.issuerOrigin);
    const d = await details(ctx);
    if (d.prompt.name !== 'consent')
      throw new AppError('interaction.wrong_step', 400, 'error.interaction_expired');
    await grantConsent(ctx, d);
  });

  router.get('/interaction/:uid/abort', async (ctx) => {
    await details(ctx);
    await finish(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
  });

  return router;
}

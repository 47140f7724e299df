import type { Context, Next } from 'koa';
import { AppError } from '../../../http/errors.ts';
import type { MessageKey, Params } from '../../../i18n/index.ts';
import { TokenError } from '../auth.ts';
import { FieldError, translateFields } from '../validation.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_JSON = 'application/scim+json; charset=utf-8';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** A SCIM error (RFC 7644 §3.12): the status, the scimType when one applies, a localized detail. */
export class ScimError extends AppError {
  readonly scimType: ScimType | undefined;
  constructor(status: number, scimType: ScimType | undefined, key: MessageKey, params?: Params) {
    super(`scim.${scimType ?? status}`, status, key, params);
    this.scimType = scimType;
  }
}

function body(status: number, detail: string, scimType?: ScimType) {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/**
 * Every failure as a SCIM error body in the caller's language: the admin services' field errors
 * (400 invalidValue; 409 uniqueness), token errors (401/403 with WWW-Authenticate), and the app's
 * own request errors (too large, bad JSON). Anything else is a bug and stays a 500.
 */
export async function scimErrors(ctx: Context, next: Next): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  try {
    await next();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const t = ctx.state.t;
    let detail = t(err.messageKey, err.params);
    let scimType: ScimType | undefined;
    if (err instanceof ScimError) scimType = err.scimType;
    else if (err instanceof FieldError) {
      const fields = Object.entries(translateFields(err.fields, t));
      if (fields.length) detail = `${detail} ${fields.map(([k, v]) => `${k}: ${v}`).join(' ')}`;
      scimType = err.status === 409 ? (/exists$/.test(err.code) ? 'uniqueness' : undefined) : 'invalidValue';
    } else if (err.code === 'request.body_invalid' || err.code === 'request.content_type') {
      scimType = 'invalidSyntax';
    }
    if (err instanceof TokenError) {
      ctx.set('WWW-Authenticate', err.wwwAuthenticate);
      if (err.code === 'insufficient_scope') detail = t('scim.error.insufficientScope');
    }
    const status = err.code === 'request.content_type' ? 400 : err.status;
    ctx.status = status;
    ctx.type = SCIM_JSON;
    ctx.body = body(status, detail, scimType);
  }
}

import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db, Tx } from '../../db/knex.ts';
import { AppError } from '../../http/errors.ts';
import type { MessageKey } from '../../i18n/index.ts';
import type { MethodRegistry } from '../../methods/registry.ts';
import type { BackchannelDelivery } from '../../oidc/backchannel.ts';
import type { SecretBox } from '../../security/secrets.ts';
import { type Activity, type AuditResult, recordAudit } from '../../store/audit.ts';
import { DuplicateError, type User } from '../../store/users.ts';
import type { Actor } from './permissions.ts';
import { FieldError } from './validation.ts';

/**
 * Administration without Koa: the API, the console and the CLI call these, so each operation checks
 * the same permission, validates the same way and records exactly one audit event with its actor.
 */
export interface AdminDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  methods: MethodRegistry;
  /** The provider's client cache, dropped after a client changes. */
  clients?: { invalidate(clientId?: string): void };
  /** Tells a user their password was changed (absent in the CLI). */
  notices?: { passwordChanged(user: User, meta: { ip: string; userAgent: string }): Promise<boolean> };
  /** Sends back-channel logout tokens after a reset or disable (absent when the CLI runs alone). */
  backchannel?: BackchannelDelivery;
  /** For notices queued by administration (the issuer, the default language); absent: none are queued. */
  config?: Config;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Records one audit event of an administrative action: its actor, how it came (`via`) and from where. */
export async function audit(
  db: Tx,
  deps: { clock: Clock },
  actor: Actor,
  activity: Activity,
  subjectId: string | null,
  details: Record<string, unknown> = {},
  result: AuditResult = 'succeeded',
): Promise<void> {
  await recordAudit(db, {
    at: deps.clock.now(),
    actorId: actor.id,
    subjectId,
    activity,
    result,
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    details: { via: actor.via, ...details },
  });
}

/**
 * A user or group by its id (a UUID) or its login or name (at most `max` characters); 404 when there
 * is none.
 */
export async function resolveRef<T>(
  what: 'user' | 'group',
  db: Tx,
  ref: string,
  max: number,
  byId: (db: Tx, id: string) => Promise<T | undefined>,
  byName: (db: Tx, name: string) => Promise<T | undefined>,
): Promise<T> {
  const found = UUID.test(ref)
    ? await byId(db, ref)
    : ref && ref.length <= max
      ? await byName(db, ref)
      : undefined;
  if (!found) throw notFound(what);
  return found;
}

/**
 * Runs a write in one transaction; a duplicate (a taken login, group name or client id) is answered
 * 409 on its field.
 */
export async function writeUnique<T>(
  db: Db,
  duplicate: [code: string, key: MessageKey, field: string],
  write: (trx: Tx) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(write);
  } catch (err) {
    if (err instanceof DuplicateError) throw conflict(...duplicate);
    throw err;
  }
}

/** The named fields of a row and nothing else (what an administrator may see of it). */
export function pick<T extends object, K extends keyof T>(row: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, row[k]])) as Pick<T, K>;
}

const NOT_FOUND = {
  user: 'admin.error.userNotFound',
  group: 'admin.error.groupNotFound',
  client: 'admin.error.clientNotFound',
  api: 'admin.error.apiNotFound',
} as const satisfies Record<string, MessageKey>;

export const notFound = (what: keyof typeof NOT_FOUND) =>
  new AppError(`${what}.not_found`, 404, NOT_FOUND[what]);

export const conflict = (code: string, key: MessageKey, field = 'body') =>
  new FieldError({ [field]: { key } }, 409, code);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

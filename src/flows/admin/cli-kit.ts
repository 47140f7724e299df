import { parseArgs } from 'node:util';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/knex.ts';
import { AppError } from '../../http/errors.ts';
import { translator } from '../../i18n/index.ts';
import { createMethodRegistry } from '../../methods/index.ts';
import type { BackchannelDelivery } from '../../oidc/backchannel.ts';
import type { SecretBox } from '../../security/secrets.ts';
import type { AdminDeps } from './shared.ts';
import { FieldError, translateFields } from './validation.ts';

/*
 * What every `tobira` command shares (the administration commands of cli.ts and the rest in
 * src/commands.ts): the context a command runs in, its result, its flags, and the services' deps and
 * refusals as the CLI sees them.
 */

export interface AdminCommandContext {
  /** For the notices administration queues (issuer, default language). */
  config?: Config;
  /** Where progress of long commands (an import) is written as it happens: standard error. */
  progress?: (line: string) => void;
  db: Db;
  box: SecretBox;
  clock: Clock;
  /** Present when the command runs inside a server (through the control socket). */
  onClientsChanged?: () => void;
  /** Back-channel logout after a disable or reset (present inside a server). */
  backchannel?: BackchannelDelivery;
}

export interface AdminCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Options = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
export type Values = Record<string, string | string[] | boolean | undefined>;

/** Flags that take a value. */
export const strings = (...names: string[]): Options =>
  Object.fromEntries(names.map((n) => [n, { type: 'string' as const }]));
/** Flags that may be given several times (a list of values). */
export const lists = (...names: string[]): Options =>
  Object.fromEntries(names.map((n) => [n, { type: 'string' as const, multiple: true }]));
/** Flags without a value. */
export const switches = (...names: string[]): Options =>
  Object.fromEntries(names.map((n) => [n, { type: 'boolean' as const }]));

/** A command's flags (always `--json`) and positionals; `negatable` also takes `--no-<flag>`. */
export function parseFlags(rest: string[], options: Options = {}, negatable = false) {
  const r = parseArgs({
    args: rest,
    options: { json: { type: 'boolean' }, ...options },
    allowPositionals: true,
    strict: true,
    allowNegative: negatable,
  });
  return { values: r.values as Values, positionals: r.positionals };
}

/** The flags given, as the body fields they set: `{ flag: field }`. */
export function fromFlags(values: Values, fields: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([flag]) => values[flag] !== undefined)
      .map(([flag, field]) => [field, values[flag]]),
  );
}

/** What the services need, from a command's context; the CLI's operator acts as `cliActor()`. */
export function adminDepsOf(cx: AdminCommandContext): AdminDeps {
  return {
    db: cx.db,
    box: cx.box,
    clock: cx.clock,
    methods: createMethodRegistry(),
    clients: { invalidate: () => cx.onClientsChanged?.() },
    backchannel: cx.backchannel,
    config: cx.config,
  };
}

/**
 * A service's refusal as the CLI says it (in English): invalid input 2, conflict 3, not found 4.
 * undefined for any other error.
 */
export function refusalOf(err: unknown): { code: number; message: string } | undefined {
  const t = translator('en');
  if (err instanceof FieldError) {
    const message = Object.entries(translateFields(err.fields, t))
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    return { code: err.status === 409 ? 3 : 2, message };
  }
  if (err instanceof AppError) {
    const code = err.status === 404 ? 4 : err.status === 409 ? 3 : 2;
    return { code, message: t(err.messageKey, err.params) };
  }
  return undefined;
}

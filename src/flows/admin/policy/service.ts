import type { z } from 'zod';
import type { Tx } from '../../../db/knex.ts';
import {
  POLICY_KEYS,
  type Policy,
  type PolicyKey,
  policyFromSettings,
  policySchema,
  questionSettingsProblem,
} from '../../../policy/settings.ts';
import { listGroups } from '../../../store/groups.ts';
import { readSettings, writeSetting } from '../../../store/settings.ts';
import { type Actor, requirePermission } from '../permissions.ts';
import { type AdminDeps, audit, isPlainObject } from '../shared.ts';
import { FieldError, type FieldMessages, fieldsFromZod, issueMessage } from '../validation.ts';

export async function readPolicy(db: Tx): Promise<Policy> {
  return policyFromSettings(await readSettings(db));
}

export async function getPolicy(deps: AdminDeps, actor: Actor): Promise<Policy> {
  requirePermission(actor, 'policy.read');
  return readPolicy(deps.db);
}

/**
 * Validates every given setting (a message per bad field), then the whole policy as it would be,
 * writes the changed keys in one transaction and records one event with the before and after values.
 */
export async function updatePolicy(
  deps: AdminDeps,
  actor: Actor,
  input: unknown,
): Promise<{ policy: Policy; changed: PolicyKey[] }> {
  requirePermission(actor, 'policy.write');
  if (!isPlainObject(input)) throw new FieldError({ body: { key: 'admin.field.object' } });
  const shape = policySchema.shape as Record<string, z.ZodType>;
  const fields: FieldMessages = {};
  const values: Partial<Record<PolicyKey, unknown>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(POLICY_KEYS as string[]).includes(key)) {
      fields[key] = { key: 'admin.field.unknown' };
      continue;
    }
    const r = shape[key].safeParse(value);
    if (r.success) values[key as PolicyKey] = r.data;
    else fields[key] = issueMessage(r.error.issues[0], r.error.issues[0].path.length ? undefined : value);
  }
  const before = await readPolicy(deps.db);
  const merged = { ...before, ...values } as Policy;
  if (!fields.resetGroups && !fields.resetScope) {
    if ('resetGroups' in values) {
      const known = new Set((await listGroups(deps.db)).map((g) => g.name));
      const unknown = merged.resetGroups.filter((n) => !known.has(n));
      if (unknown.length)
        fields.resetGroups = { key: 'admin.policy.unknownGroups', params: { names: unknown.join(', ') } };
    }
    if (!fields.resetGroups && merged.resetScope === 'selected' && merged.resetGroups.length === 0) {
      fields.resetGroups = { key: 'admin.policy.groupsRequired' };
    }
  }
  for (const k of Object.keys(values)) {
    const problem = fields[k] ? undefined : questionSettingsProblem(k, merged);
    if (problem) fields[k] = { key: 'admin.field.detail', params: { detail: problem } };
  }
  // Rules over several settings that the schema itself may carry.
  const whole = policySchema.safeParse(merged);
  if (!whole.success) {
    for (const [k, m] of Object.entries(fieldsFromZod(whole.error, merged))) fields[k.split('.')[0]] ??= m;
  }
  if (Object.keys(fields).length) throw new FieldError(fields);

  const changed = (Object.keys(values) as PolicyKey[]).filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(values[k]),
  );
  const pick = (p: Record<string, unknown>) => Object.fromEntries(changed.map((k) => [k, p[k]]));
  await deps.db.transaction(async (trx) => {
    const now = deps.clock.now();
    for (const k of changed) await writeSetting(trx, k, values[k], now, actor.id);
    await audit(trx, deps, actor, 'admin.policy.update', null, {
      changed,
      before: pick(before),
      after: pick(values as Record<string, unknown>),
    });
  });
  return { policy: merged, changed };
}

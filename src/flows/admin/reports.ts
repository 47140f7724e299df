import { performance } from 'node:perf_hooks';
import type { Clock } from '../../clock.ts';
import type { Db } from '../../db/knex.ts';
import type { MethodRegistry } from '../../methods/registry.ts';
import type { Policy } from '../../policy/settings.ts';
import { gatesRequired, inResetScope, resetGatesAvailable } from '../../policy/sspr.ts';
import { AUDIT_RESULTS } from '../../store/audit.ts';
import type { Credential } from '../../store/credentials.ts';
import {
  activeUsersBySummary,
  attemptsByResult,
  representative,
  resetsByDay,
  resetsByMethod,
} from '../../store/reports.ts';
import { type Actor, requirePermission } from './permissions.ts';
import { readPolicy } from './service.ts';

/**
 * The numbers behind the reports (SSPR.md §5). The counting is pure (arrays in, counts out) so it
 * is tested without a database; `loadReport` reads what it counts.
 */

export const REPORT_DAYS = 30;
export const ATTEMPT_RESULTS = AUDIT_RESULTS;
/** Stored credential kinds in the order the reports list them; others follow alphabetically. */
const KIND_ORDER = ['app', 'phone', 'sms', 'voice', 'securityKey', 'email', 'questions'];

export interface ReportEvent {
  at: Date;
  activity: string;
  result: string;
  details?: Record<string, unknown> | null;
}

export interface ReportUser {
  id: string;
  roles: string[];
  groups: string[];
}

export interface ReportData {
  asOf: string;
  days: number;
  registration: { active: number; registered: number; inScope: number; capable: number };
  methods: Array<{ kind: string; users: number; registered: number }>;
  resetsPerDay: Array<{ day: string; count: number }>;
  resetsPerMethod: Array<{ method: string; count: number }>;
  outcomes: Array<{ result: string; count: number }>;
}

const DAY = 86_400_000;
const dayOf = (d: Date) => d.toISOString().slice(0, 10);

/** The first instant of the report window: midnight UTC of the day `days - 1` days before `now`'s. */
export function windowStart(now: Date, days = REPORT_DAYS): Date {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(midnight - (days - 1) * DAY);
}

export function windowEnd(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY);
}

const inWindow = (e: ReportEvent, now: Date, days: number) =>
  e.at.getTime() >= windowStart(now, days).getTime() && e.at.getTime() < windowEnd(now).getTime();

/** Completed resets per UTC day, for each of the `days` days up to today (zeros included). */
export function resetsPerDay(
  events: ReportEvent[],
  now: Date,
  days = REPORT_DAYS,
): Array<{ day: string; count: number }> {
  const start = windowStart(now, days).getTime();
  const counts = new Map<string, number>();
  for (let i = 0; i < days; i++) counts.set(dayOf(new Date(start + i * DAY)), 0);
  for (const e of events) {
    if (e.activity !== 'reset.complete' || e.result !== 'succeeded' || !inWindow(e, now, days)) continue;
    const k = dayOf(e.at);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([day, count]) => ({ day, count }));
}

function methodsOf(e: ReportEvent): string[] {
  const m = e.details?.methods;
  return Array.isArray(m)
    ? [...new Set(m.filter((x): x is string => typeof x === 'string' && x.length <= 40))]
    : [];
}

const byKindOrder = (a: string, b: string) => {
  const ia = KIND_ORDER.indexOf(a);
  const ib = KIND_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
  return a.localeCompare(b);
};

/** Completed resets per method used (a reset with two methods counts once for each). */
export function resetsPerMethod(
  events: ReportEvent[],
  now: Date,
  days = REPORT_DAYS,
): Array<{ method: string; count: number }> {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (e.activity !== 'reset.complete' || e.result !== 'succeeded' || !inWindow(e, now, days)) continue;
    for (const m of methodsOf(e)) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return [...counts.keys()].sort(byKindOrder).map((method) => ({ method, count: counts.get(method)! }));
}

/** How reset attempts ended, every result listed (zeros included), in a fixed order. */
export function attemptOutcomes(
  events: ReportEvent[],
  now: Date,
  days = REPORT_DAYS,
): Array<{ result: string; count: number }> {
  const counts = new Map<string, number>(ATTEMPT_RESULTS.map((r) => [r, 0]));
  for (const e of events) {
    if (e.activity !== 'reset.attempt' || !inWindow(e, now, days) || !counts.has(e.result)) continue;
    counts.set(e.result, counts.get(e.result)! + 1);
  }
  return [...counts].map(([result, count]) => ({ result, count }));
}

/** Methods registered per stored kind: how many users have one, and how many are registered. */
export function methodsPerKind(
  creds: Array<Pick<Credential, 'userId' | 'kind'>>,
): Array<{ kind: string; users: number; registered: number }> {
  const users = new Map<string, Set<string>>();
  const total = new Map<string, number>();
  for (const c of creds) {
    if (!users.has(c.kind)) users.set(c.kind, new Set());
    users.get(c.kind)!.add(c.userId);
    total.set(c.kind, (total.get(c.kind) ?? 0) + 1);
  }
  return [...users.keys()]
    .sort(byKindOrder)
    .map((kind) => ({ kind, users: users.get(kind)!.size, registered: total.get(kind)! }));
}

/**
 * Who is registered (has any security info) and who could reset now: in the policy's scope, with
 * as many distinct usable gates as the policy requires of them.
 */
export function registration(
  policy: Policy,
  methods: MethodRegistry,
  users: ReportUser[],
  credsByUser: Map<string, Credential[]>,
): ReportData['registration'] {
  let registered = 0;
  let inScope = 0;
  let capable = 0;
  for (const u of users) {
    const creds = credsByUser.get(u.id) ?? [];
    if (creds.length) registered++;
    const subject = { roles: u.roles, groups: u.groups };
    if (!inResetScope(policy, subject)) continue;
    inScope++;
    const kinds = methods.usable(creds, 'reset').map((o) => o.method.kind);
    if (resetGatesAvailable(policy, subject, kinds, methods.gateOf).length >= gatesRequired(policy, subject))
      capable++;
  }
  return { active: users.length, registered, inScope, capable };
}

/**
 * The report, computed by the database: every count is an aggregate query (src/store/reports.ts),
 * so memory stays flat whatever the directory's size. The policy is applied in Node to each distinct
 * (roles, groups, credential classes) combination, with the same functions the flows use.
 */
export async function loadReport(deps: {
  db: Db;
  clock: Clock;
  methods: MethodRegistry;
}): Promise<ReportData> {
  const now = deps.clock.now();
  const from = windowStart(now);
  const to = windowEnd(now);
  const [policy, combos, perDay, perMethod, outcomes] = await Promise.all([
    readPolicy(deps.db),
    activeUsersBySummary(deps.db),
    resetsByDay(deps.db, from, to),
    resetsByMethod(deps.db, from, to),
    attemptsByResult(deps.db, from, to),
  ]);
  const reg = { active: 0, registered: 0, inScope: 0, capable: 0 };
  const kindUsers = new Map<string, number>();
  const kindTotal = new Map<string, number>();
  for (const c of combos) {
    const classes = Object.keys(c.summary).sort();
    reg.active += c.users;
    if (classes.length) reg.registered += c.users;
    const kinds = new Set<string>();
    for (const cls of classes) {
      const kind = cls.split(':')[0];
      kinds.add(kind);
      kindTotal.set(kind, (kindTotal.get(kind) ?? 0) + Number(c.summary[cls]) * c.users);
    }
    for (const kind of kinds) kindUsers.set(kind, (kindUsers.get(kind) ?? 0) + c.users);
    const subject = { roles: c.roles, groups: c.groups };
    if (!inResetScope(policy, subject)) continue;
    reg.inScope += c.users;
    const creds = classes.map(stand);
    const usable = deps.methods.usable(creds, 'reset').map((o) => o.method.kind);
    if (
      resetGatesAvailable(policy, subject, usable, deps.methods.gateOf).length >=
      gatesRequired(policy, subject)
    )
      reg.capable += c.users;
  }
  const kinds = [...kindUsers.keys()]
    .sort(byKindOrder)
    .map((kind) => ({ kind, users: kindUsers.get(kind)!, registered: kindTotal.get(kind)! }));
  const start = from.getTime();
  return {
    asOf: now.toISOString(),
    days: REPORT_DAYS,
    registration: reg,
    methods: kinds,
    resetsPerDay: Array.from({ length: REPORT_DAYS }, (_, i) => {
      const day = dayOf(new Date(start + i * DAY));
      return { day, count: perDay.get(day) ?? 0 };
    }),
    resetsPerMethod: [...perMethod.keys()]
      .sort(byKindOrder)
      .map((method) => ({ method, count: perMethod.get(method)! })),
    outcomes: ATTEMPT_RESULTS.map((result) => ({ result, count: outcomes.get(result) ?? 0 })),
  };
}

/** A stand-in credential of a class, shaped as the registry expects. */
export function stand(cls: string): Credential {
  const r = representative(cls);
  return {
    id: '',
    userId: '',
    kind: r.kind,
    label: '',
    data: r.data,
    lookup: null,
    isDefault: false,
    createdAt: new Date(0),
    confirmedAt: null,
    lastUsedAt: null,
  };
}

/** How long the dashboard shows the same figures (the reports page and the API compute afresh). */
export const REPORT_CACHE_MS = 30_000;
const reportCache = new WeakMap<object, { at: number; value: Promise<ReportData> }>();

/**
 * The report as computed at most `maxAgeMs` ago, per database: concurrent dashboards share one
 * computation, and the figures carry their time (`asOf`). A failed computation is not kept.
 */
export function cachedReport(
  deps: { db: Db; clock: Clock; methods: MethodRegistry },
  maxAgeMs = REPORT_CACHE_MS,
): Promise<ReportData> {
  const now = performance.now();
  const hit = reportCache.get(deps.db);
  if (hit && now - hit.at < maxAgeMs) return hit.value;
  const value = loadReport(deps);
  const entry = { at: now, value };
  reportCache.set(deps.db, entry);
  value.catch(() => {
    if (reportCache.get(deps.db) === entry) reportCache.delete(deps.db);
  });
  return value;
}

export async function reportData(
  deps: { db: Db; clock: Clock; methods: MethodRegistry },
  actor: Actor,
): Promise<ReportData> {
  requirePermission(actor, 'reports.read');
  return loadReport(deps);
}

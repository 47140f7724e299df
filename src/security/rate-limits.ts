import type { Clock } from '../clock.ts';
import type { Db } from '../db/knex.ts';
import { hitsNow, rateRule, retryAt } from '../policy/counters.ts';
import type { Policy } from '../policy/settings.ts';
import { readCounter, reserve } from '../store/counters.ts';
import type { SecretBox } from './secrets.ts';

/*
 * Sending limits against toll fraud and mail bombing (SSPR.md §2, §3). Every counter is a row of
 * `counters` (store/counters.ts), counted with one atomic statement, so the limits hold across instances. Windows are
 * fixed: they start at the first send and run for their length on the injected clock.
 *
 * The counters of one send are taken in one transaction, all or none: a send refused by the per-IP
 * limit does not use up the number's allowance. Keys are sorted so that concurrent transactions lock
 * rows in the same order. Numbers, addresses and IPs are keyed by an HMAC, so the table holds no
 * personal data.
 *
 * A send that was allowed stays counted even when delivery then fails: a provider that timed out may
 * still have placed the call, and a failing channel must not become a way round the limits.
 *
 * rate-limiter-flexible's Postgres store is not used; migrations/20261125120000_rate_limits.ts says why.
 */

/** Who is told when the phone budget pauses texts and calls (src/account/alerts.ts emails the administrators). */
export interface LimitAlerts {
  /** Once per pause: phone channels are paused until `until`, the hourly budget being `budget`. */
  phoneBudgetPaused(until: Date, budget: number): Promise<void>;
}

/** What the limits need (a MethodContext has all of it). */
export interface LimitContext {
  db: Db;
  box: SecretBox;
  clock: Clock;
  policy: Policy;
  /** The request being served: its IP is counted. */
  request: { ip: string };
  alerts: LimitAlerts;
}

export type LimitReason = 'number' | 'address' | 'account' | 'ip' | 'budget';
export type LimitResult = { ok: true } | { ok: false; reason: LimitReason; retryAfterMs: number };

const HOUR = 3600_000;
const TEN_MINUTES = 10 * 60_000;
const KEY_PURPOSE = 'rate-limit-key';
const BUDGET_KEY = 'phone:budget';

interface Bucket {
  key: string;
  limit: number;
  windowMs: number;
  reason: LimitReason;
}

class Refused extends Error {
  readonly reason: LimitReason;
  readonly key: string;
  constructor(reason: LimitReason, key: string) {
    super(reason);
    this.reason = reason;
    this.key = key;
  }
}

const keyed = (cx: LimitContext, kind: string, value: string) => `${kind}:${cx.box.hmac(KEY_PURPOSE, value)}`;

function common(cx: LimitContext, channel: 'phone' | 'email', userId: string | null): Bucket[] {
  const p = cx.policy;
  const out: Bucket[] = [];
  if (userId) {
    out.push({
      key: `${channel}:account:${userId}`,
      limit: channel === 'phone' ? p.phoneSendsPerAccountPerHour : p.emailSendsPerAccountPerHour,
      windowMs: HOUR,
      reason: 'account',
    });
  }
  if (cx.request.ip) {
    out.push({
      key: keyed(cx, `${channel}:ip`, cx.request.ip),
      limit: channel === 'phone' ? p.phoneSendsPerIpPerHour : p.emailSendsPerIpPerHour,
      windowMs: HOUR,
      reason: 'ip',
    });
  }
  return out;
}

/** Takes one unit of every bucket, or none; says which refused first. */
async function take(cx: LimitContext, buckets: Bucket[]): Promise<LimitResult> {
  const now = cx.clock.now();
  const sorted = [...buckets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  try {
    await cx.db.transaction(async (trx) => {
      for (const b of sorted) {
        const taken = await reserve(trx, b.key, rateRule(b.limit, b.windowMs), now, { settle: 'event' });
        if (!taken) throw new Refused(b.reason, b.key);
      }
    });
    return { ok: true };
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    const until = retryAt(await readCounter(cx.db, err.key), now);
    return { ok: false, reason: err.reason, retryAfterMs: until ? until.getTime() - now.getTime() : 0 };
  }
}

/**
 * Counts one text or call to `e164` for `userId` (null: nobody, an unknown account) from the
 * request's IP, against the per-number, per-account and per-IP limits and the global hourly budget.
 * When the budget refuses, phone channels are paused until its window ends and administrators are
 * told once per pause.
 */
export async function allowPhoneSend(
  cx: LimitContext,
  to: { userId: string | null; e164: string },
): Promise<LimitResult> {
  const r = await take(cx, [
    {
      key: keyed(cx, 'phone:number', to.e164),
      limit: cx.policy.phoneSendsPerNumberPerHour,
      windowMs: HOUR,
      reason: 'number',
    },
    ...common(cx, 'phone', to.userId),
    { key: BUDGET_KEY, limit: cx.policy.phoneHourlyBudget, windowMs: HOUR, reason: 'budget' },
  ]);
  if (!r.ok && r.reason === 'budget') await alertBudgetPause(cx);
  return r;
}

/** Counts one email with a code to `address` for `userId`, against the per-address, per-account and per-IP limits. */
export async function allowEmailSend(
  cx: LimitContext,
  to: { userId: string | null; address: string },
): Promise<LimitResult> {
  return take(cx, [
    {
      key: keyed(cx, 'email:address', to.address.toLowerCase()),
      limit: cx.policy.emailSendsPerAddressPer10Minutes,
      windowMs: TEN_MINUTES,
      reason: 'address',
    },
    ...common(cx, 'email', to.userId),
  ]);
}

/** Whether the hourly budget is used up, so texts and calls are paused now. */
export async function phonePaused(cx: LimitContext): Promise<boolean> {
  if (cx.policy.phoneHourlyBudget < 1) return true;
  return hitsNow(await readCounter(cx.db, BUDGET_KEY), cx.clock.now()) >= cx.policy.phoneHourlyBudget;
}

/**
 * Tells the alerts that phone channels are paused: once per pause, whichever instance sees the first
 * refused send (the claim is one more counter, keyed by the end of the budget's window, that allows
 * one hit).
 */
async function alertBudgetPause(cx: LimitContext): Promise<void> {
  const now = cx.clock.now();
  const budget = await readCounter(cx.db, BUDGET_KEY);
  // A budget of 0 has no window: phone channels are off by choice, nobody needs telling.
  if (!budget.windowEnds || budget.windowEnds.getTime() <= now.getTime()) return;
  const until = budget.windowEnds;
  const claim = await reserve(
    cx.db,
    `phone:budget-alert:${until.getTime()}`,
    rateRule(1, until.getTime() - now.getTime() + HOUR),
    now,
    { settle: 'event' },
  );
  if (!claim) return;
  await cx.alerts.phoneBudgetPaused(until, cx.policy.phoneHourlyBudget);
}

/** How long after a code was sent in a flow the next one may be asked for ("send again"). */
export const RESEND_WAIT_MS = 30_000;
const resendKey = (flow: string, kind: string) => `code.resend:${flow}:${kind}`;

/**
 * One code send per flow and method every RESEND_WAIT_MS (one atomic count, so two presses racing
 * send one code). Refused: how long until the next may be asked for.
 */
export async function allowCodeSend(
  cx: Pick<LimitContext, 'db' | 'clock'>,
  flow: string,
  kind: string,
): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
  const now = cx.clock.now();
  const key = resendKey(flow, kind);
  if (await reserve(cx.db, key, rateRule(1, RESEND_WAIT_MS), now, { settle: 'event' })) return { ok: true };
  const until = retryAt(await readCounter(cx.db, key), now);
  return { ok: false, retryAfterMs: until ? Math.max(0, until.getTime() - now.getTime()) : RESEND_WAIT_MS };
}

/** Milliseconds until a new code may be asked for in this flow and method (0: now). */
export async function codeSendWaitMs(cx: Pick<LimitContext, 'db' | 'clock'>, flow: string, kind: string) {
  const now = cx.clock.now();
  const c = await readCounter(cx.db, resendKey(flow, kind));
  if (hitsNow(c, now) < 1 || !c.windowEnds) return 0;
  return Math.max(0, c.windowEnds.getTime() - now.getTime());
}

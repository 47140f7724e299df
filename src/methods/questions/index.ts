import crypto from 'node:crypto';
import { type MessageKey, translator } from '../../i18n/index.ts';
import { codeRule } from '../../policy/counters.ts';
import type { Policy } from '../../policy/settings.ts';
import { type CounterSpec, codeKey, counterBlocked, guard } from '../../security/counters.ts';
import { hashSecret, verifySecret } from '../../security/passwords.ts';
import { consumeChallenge, createChallenge, findLiveChallenge } from '../../store/challenges.ts';
import { type Credential, countCredentialsByKind, touchCredential } from '../../store/credentials.ts';
import type { User } from '../../store/users.ts';
import { fail } from '../results.ts';
import type { EnrollFinish, MethodContext, MethodView, VerificationMethod, VerifyResult } from '../types.ts';
import { isQuestionId, questionKey } from './catalogue.ts';
import { ANSWER_MAX, ANSWER_MIN, checkAnswer } from './normalize.ts';

/*
 * Security questions (SSPR.md §1): a reset-only method, the weakest one, so it is kept within strict
 * limits. The user registers one set of N answers (N = questionsRequiredToRegister), each normalized
 * (normalize.ts) and hashed with argon2id on its own; the set can be deleted and registered again,
 * never read back or edited. A reset draws questionsRequiredToReset of them at random; every drawn
 * answer must match; a draw answers one attempt only, so after a wrong answer the next challenge draws
 * again. Never usable by administrators, and never claimed as an RFC 8176 `amr` value.
 *
 * Credential data: { v: 1, questions: [{ id, text?, hash }] } — `id` is a catalogue id (q.*) or a
 * custom question's id (c.*, with its text kept so the set still works after the administrator
 * removes that question); `hash` is the PHC string of the normalized answer.
 */

const KIND = 'questions';
const DRAW_KIND = 'questions.draw';
/** Wrong attempts allowed in one flow (SSPR.md §3); the reset flow turns exhaustion into its 24 h lock. */
const MAX_WRONG = 5;
/** A drawn set is answered within a reset session (15 minutes) or drawn again. */
const DRAW_TTL_MS = 15 * 60_000;
/** Only decides when the sweeper may delete the counter: it must outlive any reset session. */
const VERIFY_COUNTER_TTL_MS = 60 * 60_000;
/** Bounds on what a stored set may hold, whatever the policy said when it was registered. */
const SET_MIN = 3;
const SET_MAX = 5;
/** Knowledge answers prove no RFC 8176 method: nothing is added to `amr`. */
export const AMR: readonly string[] = [];

export interface StoredQuestion {
  id: string;
  /** The question's text, for a custom question only. */
  text?: string;
  /** argon2id PHC string of the normalized answer. */
  hash: string;
}

export interface Choice {
  id: string;
  text: string;
  custom: boolean;
}

/** Administrators never use security questions (SSPR.md §1), whatever the policy says. */
const isAdmin = (user: User): boolean => user.roles.includes('admin');

/** A custom question's id: derived from its text, so it stays the same when the list is reordered. */
export function customQuestionId(text: string): string {
  return `c.${crypto.createHash('sha256').update(text.normalize('NFC'), 'utf8').digest('hex').slice(0, 16)}`;
}

/** The questions a user may choose from now: the offered predefined ones in their language, then custom ones. */
export function offeredChoices(policy: Policy, locale: MethodContext['request']['locale']): Choice[] {
  const t = translator(locale);
  const out: Choice[] = [];
  const seen = new Set<string>();
  for (const id of policy.questionsOffered) {
    if (!isQuestionId(id) || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, text: t(questionKey(id)), custom: false });
  }
  for (const text of policy.questionsCustom) {
    const id = customQuestionId(text);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, text, custom: true });
  }
  return out;
}

/** The stored questions of a credential, or undefined when its data is not a valid set. */
export function storedQuestions(c: Credential): StoredQuestion[] | undefined {
  const list = (c.data as { questions?: unknown }).questions;
  if (!Array.isArray(list) || list.length < SET_MIN || list.length > SET_MAX) return undefined;
  const ok = list.every(
    (q) =>
      q &&
      typeof q === 'object' &&
      typeof q.id === 'string' &&
      typeof q.hash === 'string' &&
      (q.text === undefined || typeof q.text === 'string'),
  );
  return ok ? (list as StoredQuestion[]) : undefined;
}

function questionText(q: StoredQuestion, locale: MethodContext['request']['locale']): string {
  if (isQuestionId(q.id)) return translator(locale)(questionKey(q.id));
  return q.text ?? q.id;
}

/** The user's own set, among the credentials a flow passes in. */
function userSet(
  user: User,
  credentials: Credential[],
): { credential: Credential; questions: StoredQuestion[] } | undefined {
  for (const c of credentials) {
    if (c.kind !== KIND || c.userId !== user.id) continue;
    const questions = storedQuestions(c);
    if (questions) return { credential: c, questions };
  }
  return undefined;
}

// ---- results ----------------------------------------------------------------------------------------

const exhausted = () => ({ ok: false, error: 'questions.too_many', exhausted: true }) as const;

const noticeView = (partial: string, notice: MessageKey): MethodView => ({ partial, data: { notice } });

/** Wrong attempts in one flow (`code:<flow>:questions`), reserved before the answers are hashed. */
const answersCounter = (flow: string, user: User): CounterSpec => ({
  key: codeKey(flow, KIND),
  rule: codeRule(MAX_WRONG, VERIFY_COUNTER_TTL_MS),
  userId: user.id,
});

async function flowExhausted(cx: MethodContext, flow: string, user: User): Promise<boolean> {
  return counterBlocked(cx, answersCounter(flow, user));
}

/** k distinct items chosen uniformly at random (a partial Fisher–Yates shuffle on a CSPRNG). */
export function drawDistinct<T>(items: readonly T[], k: number): T[] {
  const pool = [...items];
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + crypto.randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

// ---- the method -------------------------------------------------------------------------------------

export const questionsMethod: VerificationMethod = {
  kind: KIND,
  usableFor: { signIn: false, reset: true },
  maxPerUser: 1,
  notForAdmins: true,

  accepts(credential) {
    return storedQuestions(credential) !== undefined;
  },

  enroll: {
    /** The registration form: N question pickers with an answer each. Nothing is kept until finish. */
    async begin(cx, user) {
      if (isAdmin(user)) return noticeView('questions/enroll', 'questions.not_for_admins');
      const count = cx.policy.questionsRequiredToRegister;
      const choices = offeredChoices(cx.policy, cx.request.locale);
      if (choices.length < count) return noticeView('questions/enroll', 'questions.not_enough_offered');
      return {
        partial: 'questions/enroll',
        data: {
          count,
          slots: Array.from({ length: count }, (_, i) => i + 1),
          predefined: choices.filter((c) => !c.custom).map(({ id, text }) => ({ id, text })),
          custom: choices.filter((c) => c.custom).map(({ id, text }) => ({ id, text })),
          min: ANSWER_MIN,
          max: ANSWER_MAX,
        },
      };
    },

    async finish(cx, user, _flow, input): Promise<EnrollFinish> {
      if (isAdmin(user)) return fail('questions.not_for_admins');
      if ((await countCredentialsByKind(cx.db, user.id, KIND)) >= 1)
        return fail('questions.already_registered');
      const count = cx.policy.questionsRequiredToRegister;
      const choices = new Map(offeredChoices(cx.policy, cx.request.locale).map((c) => [c.id, c]));
      if (choices.size < count) return fail('questions.not_enough_offered');

      const picked: { choice: Choice; answer: unknown }[] = [];
      for (let n = 1; n <= count; n++) {
        const id = input[`question${n}`];
        const answer = input[`answer${n}`];
        if (typeof id !== 'string' || id === '' || typeof answer !== 'string' || answer.trim() === '') {
          return fail('questions.choose_all', { count });
        }
        const choice = choices.get(id);
        if (!choice) return fail('questions.unknown_question');
        if (picked.some((p) => p.choice.id === id)) return fail('questions.duplicate_question');
        picked.push({ choice, answer });
      }

      const normalized: string[] = [];
      for (const p of picked) {
        const a = checkAnswer(p.answer);
        if (!a.ok) {
          if (a.reason === 'too_short') return fail('questions.answer_too_short', { min: ANSWER_MIN });
          if (a.reason === 'too_long') return fail('questions.answer_too_long', { max: ANSWER_MAX });
          return fail('questions.choose_all', { count });
        }
        if (normalized.includes(a.normalized)) return fail('questions.duplicate_answer');
        normalized.push(a.normalized);
      }

      const hashes = await Promise.all(normalized.map((a) => hashSecret(a)));
      const questions: StoredQuestion[] = picked.map((p, i) =>
        p.choice.custom
          ? { id: p.choice.id, text: p.choice.text, hash: hashes[i] }
          : { id: p.choice.id, hash: hashes[i] },
      );
      return { ok: true, credential: { kind: KIND, label: '', data: { v: 1, questions } } };
    },
  },

  /**
   * Shows this flow's drawn questions while they are unanswered (a reload does not draw again, so
   * reloading cannot pick easier questions); draws anew when there are none, after an attempt, or
   * when they expired.
   */
  async challenge(cx, user, credentials, flow): Promise<MethodView> {
    if (isAdmin(user)) return noticeView('questions/verify', 'questions.not_for_admins');
    const set = userSet(user, credentials);
    if (!set) return noticeView('questions/verify', 'questions.not_registered');
    const required = cx.policy.questionsRequiredToReset;
    if (set.questions.length < required) return noticeView('questions/verify', 'questions.set_too_small');
    if (await flowExhausted(cx, flow, user)) return noticeView('questions/verify', 'questions.too_many');

    const now = cx.clock.now();
    const registered = new Set(set.questions.map((q) => q.id));
    let draw = await findLiveChallenge(cx.db, flow, DRAW_KIND, now);
    const ids = draw?.data.ids;
    const reusable =
      draw &&
      draw.userId === user.id &&
      draw.data.credentialId === set.credential.id &&
      Array.isArray(ids) &&
      ids.length === required &&
      ids.every((id) => typeof id === 'string' && registered.has(id));
    if (!reusable) {
      // One draw at a time per flow: a replaced one is no longer accepted.
      for (let i = 0; draw && i < 50; i++, draw = await findLiveChallenge(cx.db, flow, DRAW_KIND, now)) {
        await consumeChallenge(cx.db, draw.id, now);
      }
      const drawn = drawDistinct(
        set.questions.map((q) => q.id),
        required,
      );
      draw = await createChallenge(
        cx.db,
        { flow, userId: user.id, kind: DRAW_KIND, data: { credentialId: set.credential.id, ids: drawn } },
        now,
        DRAW_TTL_MS,
      );
    }
    const byId = new Map(set.questions.map((q) => [q.id, q]));
    const drawnIds = draw!.data.ids as string[];
    return {
      partial: 'questions/verify',
      data: {
        drawId: draw!.id,
        questions: drawnIds.map((id, i) => ({
          n: i + 1,
          text: questionText(byId.get(id)!, cx.request.locale),
        })),
        min: ANSWER_MIN,
        max: ANSWER_MAX,
      },
    };
  },

  /**
   * Checks the answers to this flow's drawn questions (`answer1`..`answerK`, with `drawId` naming the
   * draw they answer). The draw is used up by the attempt whatever its result; every answer is
   * checked, even after a wrong one, so that the time taken does not tell how many were right.
   */
  async verify(cx, user, credentials, flow, input): Promise<VerifyResult> {
    if (isAdmin(user)) return fail('questions.not_for_admins');
    const set = userSet(user, credentials);
    if (!set) return fail('questions.not_registered');
    if (set.questions.length < cx.policy.questionsRequiredToReset) return fail('questions.set_too_small');
    if (await flowExhausted(cx, flow, user)) return exhausted();

    const now = cx.clock.now();
    const draw = await findLiveChallenge(cx.db, flow, DRAW_KIND, now);
    if (
      !draw ||
      draw.userId !== user.id ||
      draw.data.credentialId !== set.credential.id ||
      typeof input.drawId !== 'string' ||
      input.drawId !== draw.id ||
      !Array.isArray(draw.data.ids)
    ) {
      return { ...fail('questions.expired'), counted: false };
    }
    const byId = new Map(set.questions.map((q) => [q.id, q]));
    const drawn = (draw.data.ids as unknown[]).map((id) =>
      typeof id === 'string' ? byId.get(id) : undefined,
    );

    // An unanswered or malformed field cannot be a right answer: ask again without using up the draw.
    const answers: string[] = [];
    for (let i = 0; i < drawn.length; i++) {
      const a = checkAnswer(input[`answer${i + 1}`]);
      if (!a.ok)
        return { ...fail('questions.answer_format', { min: ANSWER_MIN, max: ANSWER_MAX }), counted: false };
      answers.push(a.normalized);
    }
    const g = await guard(cx, answersCounter(flow, user), async () => {
      // One attempt per draw, even when two requests answer it at the same moment.
      if (!(await consumeChallenge(cx.db, draw.id, now))) return { value: 'expired', outcome: 'uncounted' };
      let allRight = drawn.length > 0;
      for (let i = 0; i < drawn.length; i++) {
        const right = await verifySecret(drawn[i]?.hash, answers[i]);
        allRight = allRight && right;
      }
      return allRight ? { value: 'right', outcome: 'success' } : { value: 'wrong', outcome: 'failure' };
    });
    // Refused unevaluated: not an attempt of its own (it counts nowhere else).
    if (g.refused) return { ...exhausted(), counted: false };
    if (g.value === 'expired') return { ...fail('questions.expired'), counted: false };
    if (g.blocked) return exhausted();
    if (g.value === 'wrong') return fail('questions.wrong');
    await touchCredential(cx.db, set.credential.id, now);
    return { ok: true, credentialId: set.credential.id, amr: [...AMR] };
  },

  describe(credential, t) {
    const n = storedQuestions(credential)?.length ?? 0;
    return t('questions.describe', { count: n });
  },
};

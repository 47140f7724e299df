import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { runCommand } from '../../src/commands.ts';
import type { Db } from '../../src/db/knex.ts';
import { en } from '../../src/i18n/en/index.ts';
import { translator } from '../../src/i18n/index.ts';
import { ja } from '../../src/i18n/ja/index.ts';
import { createMethodRegistry } from '../../src/methods/index.ts';
import { QUESTION_IDS, questionKey } from '../../src/methods/questions/catalogue.ts';
import { customQuestionId, questionsMethod } from '../../src/methods/questions/index.ts';
import { normalizeAnswer } from '../../src/methods/questions/normalize.ts';
import type { MethodContext, MethodInput, MethodView } from '../../src/methods/types.ts';
import {
  defaultPolicy,
  type Policy,
  policyFromSettings,
  questionSettingsProblem,
  validatePolicyValue,
} from '../../src/policy/settings.ts';
import { gatesRequired, needsRegistration, resetGatesAvailable } from '../../src/policy/sspr.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import {
  type Credential,
  deleteCredential,
  insertCredential,
  listCredentials,
} from '../../src/store/credentials.ts';
import { readSettings } from '../../src/store/settings.ts';
import { createUser, type User } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { methodContext } from '../helpers/method-context.ts';

const POLICY: Partial<Policy> = {
  resetMethods: ['app', 'sms', 'voice', 'email', 'securityKey', 'questions'],
  questionsRequiredToRegister: 5,
  questionsRequiredToReset: 3,
  questionsCustom: ['Which street did your first office stand on?'],
};
const CUSTOM_ID = customQuestionId('Which street did your first office stand on?');

/** Alice's five questions and answers, some in Japanese. */
const ALICE: Record<string, string> = {
  'q.first_school_city': 'Tokyo',
  'q.childhood_hero': 'ウルトラマン',
  'q.first_concert': 'Sakanaction',
  'q.school_lunch_favorite': 'あげパン',
  [CUSTOM_ID]: 'Kanda Jimbocho 1-chome',
};
/** The same answers typed differently: full width, other case, half-width kana, extra spaces. */
const ALICE_TYPED_AGAIN: Record<string, string> = {
  'q.first_school_city': 'ＴＯＫＹＯ',
  'q.childhood_hero': 'ｳﾙﾄﾗﾏﾝ',
  'q.first_concert': '  sakanaction ',
  'q.school_lunch_favorite': 'あげパン',
  [CUSTOM_ID]: 'KANDA   jimbocho　1-CHOME',
};

function enrollInput(qa: Record<string, string>): MethodInput {
  const input: MethodInput = {};
  Object.entries(qa).forEach(([id, answer], i) => {
    input[`question${i + 1}`] = id;
    input[`answer${i + 1}`] = answer;
  });
  return input;
}

const flows = { n: 0 };
const newFlow = () => `reset:${++flows.n}-${crypto.randomUUID()}`;

/** Every row of every table, as text, to search for secrets. */
async function everyRow(db: Db): Promise<string> {
  const tables = await db('information_schema.tables')
    .where({ table_type: 'BASE TABLE' })
    .whereRaw('table_schema = current_schema()')
    .pluck('table_name');
  assert.ok(tables.includes('credentials') && tables.includes('challenges'));
  const parts: string[] = [];
  for (const t of tables) parts.push(JSON.stringify(await db(t).select('*')));
  return parts.join('\n');
}

/** The ids a draw holds, read from its challenge row. */
async function drawnIds(db: Db, view: MethodView): Promise<string[]> {
  const row = await db('challenges')
    .where({ id: view.data.drawId as string })
    .first();
  const data = typeof row.data === 'string' ? JSON.parse(row.data) : row.data;
  return data.ids;
}

/** Answers for a draw from a table of question id -> answer. */
async function answersFor(db: Db, view: MethodView, qa: Record<string, string>): Promise<MethodInput> {
  const ids = await drawnIds(db, view);
  const input: MethodInput = { drawId: view.data.drawId };
  ids.forEach((id, i) => {
    input[`answer${i + 1}`] = qa[id];
  });
  return input;
}

describe(`security questions method (${backendName})`, () => {
  let tdb: TestDatabase;
  let clock: ManualClock;
  let box: SecretBox;
  let cx: MethodContext;
  let alice: User;
  let bob: User;
  let root: User;
  let aliceSet: Credential;

  before(async () => {
    tdb = await createTestDatabase();
    clock = new ManualClock(Date.UTC(2026, 0, 1, 9));
    box = new SecretBox(crypto.randomBytes(32));
    cx = methodContext({ db: tdb.db, clock, box, policy: POLICY });
    alice = await createUser(tdb.db, { login: 'alice', displayName: 'Alice' }, clock.now());
    bob = await createUser(tdb.db, { login: 'bob', displayName: 'Bob' }, clock.now());
    root = await createUser(tdb.db, { login: 'root', displayName: 'Root', roles: ['admin'] }, clock.now());
  });
  after(() => tdb?.drop());

  it('declares its kind, uses and limits, and is registered', () => {
    assert.equal(questionsMethod.kind, 'questions');
    assert.deepEqual(questionsMethod.usableFor, { signIn: false, reset: true });
    assert.equal(questionsMethod.maxPerUser, 1);
    const registry = createMethodRegistry();
    assert.equal(registry.get('questions'), questionsMethod);
    assert.ok(!registry.forSignIn().includes(questionsMethod));
    assert.ok(registry.forReset().includes(questionsMethod));
  });

  it('has a catalogue of 20 to 35 questions in English and Japanese, all offered by default', () => {
    assert.ok(QUESTION_IDS.length >= 20 && QUESTION_IDS.length <= 35, `${QUESTION_IDS.length} questions`);
    const enTexts = new Set<string>();
    const jaTexts = new Set<string>();
    for (const id of QUESTION_IDS) {
      assert.match(id, /^q\.[a-z_]+$/);
      const key = questionKey(id);
      assert.ok(en[key] && en[key].length >= 10, `${key} in English`);
      assert.ok(ja[key] && ja[key] !== en[key], `${key} in Japanese`);
      assert.match(ja[key], /[\u3040-\u30ff\u4e00-\u9fff]/, `${key} is written in Japanese`);
      enTexts.add(en[key]);
      jaTexts.add(ja[key]);
    }
    assert.equal(enTexts.size, QUESTION_IDS.length, 'no two questions read the same');
    assert.equal(jaTexts.size, QUESTION_IDS.length);
    assert.ok(
      ![...enTexts].some((q) => /maiden|\bpet\b|born|birthplace/i.test(q)),
      'no question about public records or social-media facts',
    );
    const p = defaultPolicy();
    assert.deepEqual(p.questionsOffered, [...QUESTION_IDS]);
    assert.deepEqual(p.questionsCustom, []);
    assert.equal(p.questionsRequiredToRegister, 3);
    assert.equal(p.questionsRequiredToReset, 3);
    assert.ok(!p.resetMethods.includes('questions'), 'off for reset by default');
  });

  it("enroll.begin shows the offered questions in the user's language, with the custom ones", async () => {
    const view = await questionsMethod.enroll.begin(cx, alice, `enroll:${alice.id}`, {});
    assert.equal(view.partial, 'questions/enroll');
    assert.equal(view.data.count, 5);
    assert.deepEqual(view.data.slots, [1, 2, 3, 4, 5]);
    const predefined = view.data.predefined as { id: string; text: string }[];
    assert.equal(predefined.length, QUESTION_IDS.length);
    assert.equal(predefined[0].text, en[questionKey(predefined[0].id as never)]);
    assert.deepEqual(view.data.custom, [
      { id: CUSTOM_ID, text: 'Which street did your first office stand on?' },
    ]);

    const jaCx = methodContext({ db: tdb.db, clock, box, policy: POLICY, locale: 'ja' });
    const jaView = await questionsMethod.enroll.begin(jaCx, alice, `enroll:${alice.id}`, {});
    const jaFirst = (jaView.data.predefined as { id: string; text: string }[])[0];
    assert.equal(jaFirst.text, ja[questionKey(jaFirst.id as never)]);

    const few = methodContext({
      db: tdb.db,
      clock,
      box,
      policy: { ...POLICY, questionsOffered: ['q.first_concert'], questionsCustom: [] },
    });
    const none = await questionsMethod.enroll.begin(few, alice, `enroll:${alice.id}`, {});
    assert.deepEqual(none.data, { notice: 'questions.not_enough_offered' });
  });

  it('enroll.finish refuses incomplete sets, unknown or repeated questions, repeated answers and bad lengths', async () => {
    const flow = `enroll:${alice.id}`;
    const finish = (input: MethodInput) => questionsMethod.enroll.finish(cx, alice, flow, input);
    const base = enrollInput(ALICE);

    assert.deepEqual(await finish({ ...base, question5: '' }), {
      ok: false,
      error: 'questions.choose_all',
      params: { count: 5 },
    });
    assert.deepEqual(await finish({ ...base, answer2: '   ' }), {
      ok: false,
      error: 'questions.choose_all',
      params: { count: 5 },
    });
    assert.deepEqual(await finish({ ...base, question3: 'q.no_such_question' }), {
      ok: false,
      error: 'questions.unknown_question',
    });
    const notOffered = methodContext({
      db: tdb.db,
      clock,
      box,
      policy: { ...POLICY, questionsOffered: QUESTION_IDS.filter((id) => id !== 'q.first_concert') },
    });
    assert.deepEqual(await questionsMethod.enroll.finish(notOffered, alice, flow, base), {
      ok: false,
      error: 'questions.unknown_question',
    });
    assert.deepEqual(await finish({ ...base, question4: 'q.first_school_city' }), {
      ok: false,
      error: 'questions.duplicate_question',
    });
    // The same answer twice, written differently: equal once normalized.
    assert.deepEqual(await finish({ ...base, answer3: ' ＴＯＫＹＯ ' }), {
      ok: false,
      error: 'questions.duplicate_answer',
    });
    assert.deepEqual(await finish({ ...base, answer2: 'ab' }), {
      ok: false,
      error: 'questions.answer_too_short',
      params: { min: 3 },
    });
    assert.deepEqual(await finish({ ...base, answer2: '東京' }), {
      ok: false,
      error: 'questions.answer_too_short',
      params: { min: 3 },
    });
    assert.deepEqual(await finish({ ...base, answer2: 'x'.repeat(41) }), {
      ok: false,
      error: 'questions.answer_too_long',
      params: { max: 40 },
    });
    assert.equal(
      (await finish({ ...base, answer2: 'あ'.repeat(40) })).ok,
      true,
      '40 Japanese characters are fine',
    );
    assert.equal((await listCredentials(tdb.db, alice.id)).length, 0, 'finish stores nothing itself');
  });

  it('registers a set holding question ids and hashes only, described by its size', async () => {
    const r = await questionsMethod.enroll.finish(cx, alice, `enroll:${alice.id}`, enrollInput(ALICE));
    assert.ok(r.ok);
    assert.equal(r.credential.kind, 'questions');
    const stored = r.credential.data.questions as { id: string; text?: string; hash: string }[];
    assert.deepEqual(
      stored.map((q) => q.id),
      Object.keys(ALICE),
    );
    for (const q of stored) {
      assert.match(q.hash, /^\$argon2id\$v=19\$m=19456,/);
      assert.deepEqual(Object.keys(q).sort(), q.id === CUSTOM_ID ? ['hash', 'id', 'text'] : ['hash', 'id']);
    }
    assert.equal(
      stored.find((q) => q.id === CUSTOM_ID)?.text,
      'Which street did your first office stand on?',
    );
    assert.equal(new Set(stored.map((q) => q.hash)).size, 5, 'each answer hashed on its own');
    aliceSet = await insertCredential(tdb.db, alice.id, r.credential, clock.now());
    assert.equal(questionsMethod.describe(aliceSet, translator('en')), '5 security questions');
    assert.equal(questionsMethod.describe(aliceSet, translator('ja')), 'セキュリティの質問 5 件');

    assert.deepEqual(
      await questionsMethod.enroll.finish(cx, alice, `enroll:${alice.id}`, enrollInput(ALICE)),
      {
        ok: false,
        error: 'questions.already_registered',
      },
    );
  });

  it('draws the required number at random, keeps the draw on reload, and accepts answers typed differently', async () => {
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    const view = await questionsMethod.challenge(cx, alice, creds, flow);
    assert.equal(view.partial, 'questions/verify');
    const questions = view.data.questions as { n: number; text: string }[];
    assert.equal(questions.length, 3);
    const ids = await drawnIds(tdb.db, view);
    assert.equal(new Set(ids).size, 3, 'three different questions');
    assert.ok(ids.every((id) => id in ALICE));
    const t = translator('en');
    ids.forEach((id, i) => {
      assert.equal(
        questions[i].text,
        id === CUSTOM_ID ? 'Which street did your first office stand on?' : t(questionKey(id as never)),
      );
    });
    assert.ok(!JSON.stringify(view).includes('$argon2'), 'no hash reaches the page');

    const again = await questionsMethod.challenge(cx, alice, creds, flow);
    assert.equal(again.data.drawId, view.data.drawId, 'a reload does not draw again');

    const r = await questionsMethod.verify(
      cx,
      alice,
      creds,
      flow,
      await answersFor(tdb.db, view, ALICE_TYPED_AGAIN),
    );
    assert.deepEqual(r, { ok: true, credentialId: aliceSet.id, amr: [] });
    const touched = (await listCredentials(tdb.db, alice.id))[0];
    assert.equal(touched.lastUsedAt?.getTime(), clock.now().getTime());

    // The draw answered one attempt: the same answers again are refused, and not counted.
    assert.deepEqual(
      await questionsMethod.verify(cx, alice, creds, flow, await answersFor(tdb.db, view, ALICE)),
      { ok: false, error: 'questions.expired', counted: false },
    );
  });

  it('over many draws, every registered question is drawn', async () => {
    const creds = await listCredentials(tdb.db, alice.id);
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const view = await questionsMethod.challenge(cx, alice, creds, newFlow());
      const ids = await drawnIds(tdb.db, view);
      assert.equal(ids.length, 3);
      assert.equal(new Set(ids).size, 3);
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), Object.keys(ALICE).sort(), 'every question was drawn');
    // 600 picks over 5 questions: each near 120; 60 is far outside chance for a uniform draw.
    for (const [id, n] of seen) assert.ok(n > 60, `${id} drawn ${n} times`);
  });

  it('a wrong answer fails the whole attempt, and the next challenge draws again', async () => {
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    const first = await questionsMethod.challenge(cx, alice, creds, flow);
    const input = await answersFor(tdb.db, first, ALICE);
    input.answer1 = 'definitely wrong'; // two right answers do not make up for one wrong one
    assert.deepEqual(await questionsMethod.verify(cx, alice, creds, flow, input), {
      ok: false,
      error: 'questions.wrong',
    });
    const firstRow = await tdb
      .db('challenges')
      .where({ id: first.data.drawId as string })
      .first();
    assert.ok(firstRow.consumed_at, 'the answered draw is used up');

    const second = await questionsMethod.challenge(cx, alice, creds, flow);
    assert.notEqual(second.data.drawId, first.data.drawId, 'a new draw');
    // Answers to the old draw are not accepted for the new one.
    assert.deepEqual(
      await questionsMethod.verify(cx, alice, creds, flow, await answersFor(tdb.db, first, ALICE)),
      { ok: false, error: 'questions.expired', counted: false },
    );
    // An unanswered field asks again without using the draw or counting a failure.
    const partial = await answersFor(tdb.db, second, ALICE);
    partial.answer3 = '';
    assert.deepEqual(await questionsMethod.verify(cx, alice, creds, flow, partial), {
      ok: false,
      error: 'questions.answer_format',
      params: { min: 3, max: 40 },
      counted: false,
    });
    const stillSame = await questionsMethod.challenge(cx, alice, creds, flow);
    assert.equal(stillSame.data.drawId, second.data.drawId);
    const counter = await tdb
      .db('counters')
      .where({ key: `code:${flow}:questions` })
      .first();
    assert.equal(counter.hits, 1, 'one failure counted');
    assert.deepEqual(
      await questionsMethod.verify(cx, alice, creds, flow, await answersFor(tdb.db, second, ALICE)),
      { ok: true, credentialId: aliceSet.id, amr: [] },
    );
  });

  it('five wrong attempts in a flow exhaust the method, right answers included afterwards', async () => {
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    const wrong: Record<string, string> = Object.fromEntries(Object.keys(ALICE).map((id) => [id, 'not it']));
    for (let i = 1; i <= 5; i++) {
      const view = await questionsMethod.challenge(cx, alice, creds, flow);
      const r = await questionsMethod.verify(cx, alice, creds, flow, await answersFor(tdb.db, view, wrong));
      if (i < 5) assert.deepEqual(r, { ok: false, error: 'questions.wrong' }, `attempt ${i}`);
      else assert.deepEqual(r, { ok: false, error: 'questions.too_many', exhausted: true });
    }
    const view = await questionsMethod.challenge(cx, alice, creds, flow);
    assert.deepEqual(view, { partial: 'questions/verify', data: { notice: 'questions.too_many' } });
    const live = await tdb.db('challenges').where({ flow, kind: 'questions.draw' }).whereNull('consumed_at');
    assert.equal(live.length, 0, 'nothing left to answer');
    assert.deepEqual(
      await questionsMethod.verify(cx, alice, creds, flow, {
        drawId: 'x',
        answer1: 'Tokyo',
        answer2: 'abc',
        answer3: 'abc',
      }),
      { ok: false, error: 'questions.too_many', exhausted: true },
    );
    // Another flow (another reset session) has its own count; the reset flow's 24 h lock is separate.
    const other = newFlow();
    const fresh = await questionsMethod.challenge(cx, alice, creds, other);
    assert.ok(fresh.data.drawId);
  });

  it("only the user's own set is used", async () => {
    const aliceCreds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    assert.deepEqual(await questionsMethod.challenge(cx, bob, aliceCreds, flow), {
      partial: 'questions/verify',
      data: { notice: 'questions.not_registered' },
    });
    assert.deepEqual(await questionsMethod.verify(cx, bob, aliceCreds, flow, {}), {
      ok: false,
      error: 'questions.not_registered',
    });
  });

  it('a set smaller than the reset count now asks for is not used', async () => {
    const small = await questionsMethod.enroll.finish(
      methodContext({ db: tdb.db, clock, box, policy: { ...POLICY, questionsRequiredToRegister: 3 } }),
      bob,
      `enroll:${bob.id}`,
      enrollInput({ 'q.first_concert': 'aaa', 'q.childhood_hero': 'bbb', 'q.first_school_city': 'ccc' }),
    );
    assert.ok(small.ok);
    const cred = await insertCredential(tdb.db, bob.id, small.credential, clock.now());
    assert.equal(questionsMethod.describe(cred, translator('en')), '3 security questions');
    const stricter = methodContext({
      db: tdb.db,
      clock,
      box,
      policy: { ...POLICY, questionsRequiredToRegister: 4, questionsRequiredToReset: 4 },
    });
    const flow = newFlow();
    assert.deepEqual(await questionsMethod.challenge(stricter, bob, [cred], flow), {
      partial: 'questions/verify',
      data: { notice: 'questions.set_too_small' },
    });
    assert.deepEqual(await questionsMethod.verify(stricter, bob, [cred], flow, {}), {
      ok: false,
      error: 'questions.set_too_small',
    });
    // Deleted and registered again (never edited): the old answers no longer work.
    assert.ok(await deleteCredential(tdb.db, bob.id, cred.id));
    const again = await questionsMethod.enroll.finish(
      cx,
      bob,
      `enroll:${bob.id}`,
      enrollInput({
        'q.first_concert': 'ddd',
        'q.childhood_hero': 'eee',
        'q.first_school_city': 'fff',
        'q.first_dish_cooked': 'ggg',
        'q.first_date_place': 'hhh',
      }),
    );
    assert.ok(again.ok);
    const fresh = await insertCredential(tdb.db, bob.id, again.credential, clock.now());
    const f2 = newFlow();
    const view = await questionsMethod.challenge(cx, bob, [fresh], f2);
    const oldAnswers = {
      'q.first_concert': 'aaa',
      'q.childhood_hero': 'bbb',
      'q.first_school_city': 'ccc',
      'q.first_dish_cooked': 'aaa',
      'q.first_date_place': 'aaa',
    };
    assert.deepEqual(
      await questionsMethod.verify(cx, bob, [fresh], f2, await answersFor(tdb.db, view, oldAnswers)),
      {
        ok: false,
        error: 'questions.wrong',
      },
    );
  });

  it('an administrator can neither register nor use security questions', async () => {
    const flow = `enroll:${root.id}`;
    assert.deepEqual(await questionsMethod.enroll.begin(cx, root, flow, {}), {
      partial: 'questions/enroll',
      data: { notice: 'questions.not_for_admins' },
    });
    assert.deepEqual(await questionsMethod.enroll.finish(cx, root, flow, enrollInput(ALICE)), {
      ok: false,
      error: 'questions.not_for_admins',
    });
    // Even a set that reached the database some other way (registered before becoming an admin).
    const forced = await insertCredential(
      tdb.db,
      root.id,
      { kind: 'questions', label: '', data: aliceSet.data },
      clock.now(),
    );
    const rflow = newFlow();
    assert.deepEqual(await questionsMethod.challenge(cx, root, [forced], rflow), {
      partial: 'questions/verify',
      data: { notice: 'questions.not_for_admins' },
    });
    assert.equal(
      (await tdb.db('challenges').where({ flow: rflow })).length,
      0,
      'no questions drawn for an administrator',
    );
    assert.deepEqual(
      await questionsMethod.verify(cx, root, [forced], rflow, { drawId: 'x', answer1: 'Tokyo' }),
      {
        ok: false,
        error: 'questions.not_for_admins',
      },
    );
  });

  it('counts as one gate at most, and never for administrators (two-gate policy)', async () => {
    const registry = createMethodRegistry();
    const policy: Policy = { ...defaultPolicy(), ...POLICY, resetGatesRequired: 2 };
    const kindsOf = async (u: User) =>
      registry.usable(await listCredentials(tdb.db, u.id), 'reset').map((o) => o.method.kind);
    const user = { roles: [] as string[], groups: [] as string[] };
    const admin = { roles: ['admin'], groups: [] as string[] };

    assert.deepEqual(await kindsOf(alice), ['questions']);
    assert.deepEqual(resetGatesAvailable(policy, user, await kindsOf(alice)), ['questions']);
    assert.equal(
      needsRegistration(policy, user, await kindsOf(alice)),
      true,
      'questions alone are one gate of two',
    );
    assert.deepEqual(resetGatesAvailable(policy, user, ['questions', 'questions']), ['questions']);
    assert.deepEqual(resetGatesAvailable(policy, user, ['app', 'questions']).sort(), ['app', 'questions']);
    assert.equal(needsRegistration(policy, user, ['app', 'questions']), false);

    assert.equal(gatesRequired({ ...policy, resetGatesRequired: 1 }, admin), 2);
    assert.deepEqual(resetGatesAvailable(policy, admin, ['app', 'questions']), ['app']);
    assert.equal(
      needsRegistration(policy, admin, ['app', 'questions']),
      true,
      'questions never count for an admin',
    );
    assert.equal(needsRegistration(policy, admin, ['app', 'securityKey', 'questions']), false);
  });

  it('keeps no answer readable anywhere in the database, in any form', async () => {
    const all = await everyRow(tdb.db);
    assert.ok(all.includes(aliceSet.id), 'the search sees the credentials');
    const texts = new Set<string>();
    const encoded = new Set<string>();
    for (const a of [...Object.values(ALICE), ...Object.values(ALICE_TYPED_AGAIN)]) {
      const n = normalizeAnswer(a);
      for (const f of [a, a.trim(), n, a.normalize('NFC')]) {
        texts.add(f);
        texts.add(JSON.stringify(f).slice(1, -1)); // as JSON escapes it
        encoded.add(Buffer.from(f).toString('base64').replace(/=+$/, ''));
        encoded.add(Buffer.from(f).toString('hex'));
      }
    }
    const lower = all.toLowerCase();
    for (const f of texts)
      assert.ok(
        !lower.includes(f.toLowerCase()),
        `found ${JSON.stringify(f)} (in some case) in the database`,
      );
    for (const f of encoded) assert.ok(!all.includes(f), `found the encoded answer ${f} in the database`);
  });

  describe('policy settings', () => {
    const cmd = (args: string[]) => runCommand(args, undefined, { db: tdb.db, box, clock });

    it('validates each setting on its own, naming the rule that failed', () => {
      const bad = (key: string, value: unknown, rule: RegExp) => {
        const r = validatePolicyValue(key, value);
        assert.equal(r.ok, false, `${key} = ${JSON.stringify(value)} should be refused`);
        if (!r.ok) {
          assert.ok(r.message.startsWith(`${key}: `), r.message);
          assert.match(r.message, rule);
        }
      };
      for (const key of ['questionsRequiredToRegister', 'questionsRequiredToReset']) {
        bad(key, 2, /at least 3/);
        bad(key, 6, /at most 5/);
        bad(key, 0, /at least 3/);
        bad(key, 3.5, /whole number from 3 to 5/);
        bad(key, '4', /whole number from 3 to 5/);
        assert.deepEqual(validatePolicyValue(key, 4), { ok: true, value: 4 });
      }
      bad(
        'questionsCustom',
        Array.from({ length: 21 }, (_, i) => `Custom question number ${i + 1}?`),
        /at most 20 custom questions.*got 21/,
      );
      bad('questionsCustom', [''], /custom question 1 has 0 characters; each must have 3 to 200/);
      bad('questionsCustom', ['   '], /custom question 1 has 0 characters/);
      bad('questionsCustom', ['Fine question?', 'ab'], /custom question 2 has 2 characters/);
      bad(
        'questionsCustom',
        ['x'.repeat(201)],
        /custom question 1 has 201 characters; each must have 3 to 200/,
      );
      bad(
        'questionsCustom',
        ['Where was it?', ' where   WAS it? '],
        /custom question 2 repeats custom question 1/,
      );
      bad('questionsCustom', ['Two\nlines?'], /line break or control character/);
      bad('questionsCustom', 'Where was it?', /JSON array of strings/);
      bad('questionsCustom', [3], /must be a string/);
      bad(
        'questionsOffered',
        ['q.first_concert', 'q.mothers_maiden_name'],
        /unknown predefined question id "q\.mothers_maiden_name"/,
      );
      bad('questionsOffered', ['q.first_concert', 'q.first_concert'], /"q\.first_concert" is listed twice/);
      bad('questionsOffered', 'q.first_concert', /JSON array of question ids/);

      const twenty = Array.from({ length: 20 }, (_, i) => `  Custom question number ${i + 1}?  `);
      const ok = validatePolicyValue('questionsCustom', twenty);
      assert.ok(ok.ok);
      if (ok.ok) assert.equal((ok.value as string[])[0], 'Custom question number 1?', 'trimmed');
      assert.ok(validatePolicyValue('questionsCustom', ['x'.repeat(200), '東京で最初に住んだ町は？']).ok);
      assert.ok(validatePolicyValue('questionsOffered', ['q.first_concert']).ok);
    });

    it('checks the rules across settings: reset never above register, enough questions offered', () => {
      const p = defaultPolicy() as unknown as Record<string, unknown>;
      assert.match(
        questionSettingsProblem('questionsRequiredToReset', { ...p, questionsRequiredToReset: 4 }) ?? '',
        /questionsRequiredToReset \(4\) must not be more than questionsRequiredToRegister \(3\)/,
      );
      assert.match(
        questionSettingsProblem('questionsRequiredToRegister', {
          ...p,
          questionsRequiredToRegister: 4,
          questionsRequiredToReset: 5,
        }) ?? '',
        /must not be more than questionsRequiredToRegister \(4\)/,
      );
      assert.equal(
        questionSettingsProblem('questionsRequiredToReset', {
          ...p,
          questionsRequiredToRegister: 5,
          questionsRequiredToReset: 5,
        }),
        undefined,
      );
      assert.match(
        questionSettingsProblem('questionsOffered', {
          ...p,
          questionsOffered: ['q.first_concert'],
          questionsCustom: ['Custom one?'],
        }) ?? '',
        /only 2 questions would be offered.*fewer than questionsRequiredToRegister \(3\)/,
      );
      assert.equal(
        questionSettingsProblem('questionsOffered', {
          ...p,
          questionsOffered: [],
          questionsCustom: ['Custom one?', 'Custom two?', 'Custom three?'],
        }),
        undefined,
      );
      assert.equal(
        questionSettingsProblem('mfa', { ...p, questionsRequiredToReset: 5 }),
        undefined,
        'other keys are not held up',
      );
    });

    it('tobira policy set refuses bad values with exit code 2 and the rule, and stores good ones', async () => {
      const refused = async (args: string[], rule: RegExp) => {
        const r = await cmd(['policy', 'set', ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, rule);
      };
      await refused(['questionsRequiredToRegister', '6'], /questionsRequiredToRegister: must be at most 5/);
      await refused(['questionsRequiredToReset', '2'], /questionsRequiredToReset: must be at least 3/);
      await refused(
        ['questionsRequiredToReset', '4'],
        /questionsRequiredToReset \(4\) must not be more than questionsRequiredToRegister \(3\)/,
      );
      await refused(
        ['questionsCustom', JSON.stringify(Array.from({ length: 21 }, (_, i) => `Question ${i + 1}?`))],
        /at most 20 custom questions/,
      );
      await refused(['questionsCustom', JSON.stringify(['', 'Fine?'])], /custom question 1 has 0 characters/);
      await refused(
        ['questionsCustom', JSON.stringify(['y'.repeat(201)])],
        /201 characters; each must have 3 to 200/,
      );
      await refused(
        ['questionsOffered', '["q.first_concert","q.nope"]'],
        /unknown predefined question id "q\.nope"/,
      );
      await refused(['questionsOffered', '["q.first_concert"]'], /only 1 questions would be offered/);
      assert.deepEqual(await readSettings(tdb.db), {}, 'nothing was stored');

      let r = await cmd(['policy', 'set', 'questionsRequiredToRegister', '5']);
      assert.equal(r.code, 0, r.stderr);
      r = await cmd(['policy', 'set', 'questionsRequiredToReset', '4']);
      assert.equal(r.code, 0, r.stderr);
      await refused(
        ['questionsRequiredToRegister', '3'],
        /questionsRequiredToReset \(4\) must not be more than questionsRequiredToRegister \(3\)/,
      );
      r = await cmd([
        'policy',
        'set',
        'questionsCustom',
        JSON.stringify(['  Which street was your first office on?  ']),
      ]);
      assert.equal(r.code, 0, r.stderr);
      r = await cmd([
        'policy',
        'set',
        'questionsOffered',
        '["q.first_concert","q.childhood_hero","q.birthday_dish","q.first_stage_role"]',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const policy = policyFromSettings(await readSettings(tdb.db));
      assert.equal(policy.questionsRequiredToRegister, 5);
      assert.equal(policy.questionsRequiredToReset, 4);
      assert.deepEqual(policy.questionsCustom, ['Which street was your first office on?']);
      assert.deepEqual(policy.questionsOffered, [
        'q.first_concert',
        'q.childhood_hero',
        'q.birthday_dish',
        'q.first_stage_role',
      ]);
      const audit = await tdb.db('audit_events').where({ activity: 'admin.policy.update' });
      assert.equal(audit.length, 4);
    });
  });
});

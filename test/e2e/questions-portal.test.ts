import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { ja } from '../../src/i18n/ja/index.ts';
import {
  alertText,
  Browser,
  decodeEntities,
  formAction,
  hiddenInputs,
  type Resp,
} from '../helpers/browser.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';
import { solvePowInPage } from '../helpers/pow.ts';
import { addUserViaCli, setPolicy } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Answers in Japanese, as a person would type them with an IME (one with a full-width space). */
const ANSWERS = ['東京都\u3000港区', 'ウルトラマン', 'あげパン'];
const QUESTIONS = ['q.first_school_city', 'q.childhood_hero', 'q.school_lunch_favorite'];

describe(`security questions in the portal (${backendName})`, () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  const clock = new ManualClock(Date.now());
  const password = 'correct horse battery staple';
  let kana: { id: string };
  let boss: { id: string };

  before(async () => {
    tdb = await createTestDatabase();
    srv = await startTestServer({ db: tdb.db, clock });
    await setPolicy(srv, 'registrationRequired', false);
    await setPolicy(srv, 'resetMethods', ['app', 'email', 'securityKey', 'questions']);
    kana = await addUserViaCli(srv, 'kana', password, ['--email', 'kana@example.jp']);
    boss = await addUserViaCli(srv, 'boss', password, ['--admin', '--email', 'boss@example.jp']);
  });
  after(async () => {
    await srv.stop();
    await tdb.drop();
  });

  /** Opens a portal page, signing in through the provider's pages when asked to. */
  async function open(br: Browser, path: string, login: string): Promise<Resp> {
    let r = await br.follow(await br.get(path, srv.issuer));
    for (let i = 0; i < 4 && /\/interaction\//.test(r.url); i++) {
      const fields: Record<string, string> = { ...hiddenInputs(r.text) };
      if (/name="username"/.test(r.text)) Object.assign(fields, { username: login, password });
      r = await br.follow(await br.post(formAction(r.text), fields, r.url));
    }
    return r;
  }

  const assertNoAnswers = (html: string) => {
    for (const a of ANSWERS) {
      assert.ok(!html.includes(a), `the page shows the answer ${a}`);
      assert.ok(!html.includes(a.replace('\u3000', ' ')), `the page shows the answer ${a}`);
    }
  };

  it('a user registers answers in Japanese; the portal lists the set but never shows answers', async () => {
    const br = new Browser();
    br.acceptLanguage = 'ja';
    let page = await open(br, '/my/security-info', 'kana');
    assert.equal(page.status, 200);
    assert.match(page.text, /href="\/my\/security-info\/add\/questions"/);

    page = await br.get('/my/security-info/add/questions', srv.issuer);
    assert.equal(page.status, 200);
    const form = /<form[^>]*action="\/my\/security-info\/add\/questions"[^>]*>/.exec(page.text)?.[0] ?? '';
    assert.match(form, /method="post"/);
    assert.match(form, /autocomplete="off"/);
    assert.ok(hiddenInputs(page.text)._csrf, 'the form carries the CSRF token');
    for (const n of [1, 2, 3]) {
      assert.match(page.text, new RegExp(`<label for="questions-question-${n}">`));
      assert.match(page.text, new RegExp(`<select id="questions-question-${n}" name="question${n}"`));
      assert.match(page.text, new RegExp(`<label for="questions-answer-${n}">質問 ${n} の答え</label>`));
      assert.match(
        page.text,
        new RegExp(`<input id="questions-answer-${n}" name="answer${n}" type="text" autocomplete="off"`),
      );
    }
    assert.doesNotMatch(page.text, /name="question4"/, 'three questions by default');
    assert.ok(page.text.includes(ja['questions.q.first_school_city']), 'questions are shown in Japanese');
    assert.ok(
      !/<script(?![^>]*\bsrc=)[^>]*>|\sstyle="|\son[a-z]+="/i.test(page.text),
      'no inline script or style',
    );

    const fields = (answers: string[]) => {
      const f: Record<string, string> = { ...hiddenInputs(page.text) };
      QUESTIONS.forEach((q, i) => {
        f[`question${i + 1}`] = q;
        f[`answer${i + 1}`] = answers[i];
      });
      return f;
    };
    // The same answer twice, once in half-width katakana: refused, in Japanese, without echoing answers.
    let r = await br.post(
      '/my/security-info/add/questions',
      fields([ANSWERS[0], 'ｳﾙﾄﾗﾏﾝ', 'ウルトラマン']),
      srv.issuer,
    );
    assert.equal(r.status, 400);
    assert.equal(alertText(r.text), ja['questions.duplicate_answer']);
    assert.ok(!r.text.includes('ｳﾙﾄﾗﾏﾝ'));
    assertNoAnswers(r.text);
    r = await br.post(
      '/my/security-info/add/questions',
      fields(['東京', ANSWERS[1], ANSWERS[2]]),
      srv.issuer,
    );
    assert.equal(r.status, 400);
    assert.equal(alertText(r.text), ja['questions.answer_too_short'].replace('{min}', '3'));
    assert.equal((await tdb.db('credentials').where({ user_id: kana.id })).length, 0);

    r = await br.post('/my/security-info/add/questions', fields(ANSWERS), srv.issuer);
    assert.equal(r.status, 302);
    page = await br.follow(r);
    assert.equal(new URL(page.url).pathname, '/my/security-info');
    assert.match(page.text, /セキュリティの質問 3 件/);
    assert.doesNotMatch(page.text, /href="\/my\/security-info\/add\/questions"/, 'one set per user');
    assertNoAnswers(page.text);

    br.acceptLanguage = 'en';
    page = await br.get('/my/security-info', srv.issuer);
    assert.match(page.text, /3 security questions/);
    assert.match(page.text, /password reset only/);
    assertNoAnswers(page.text);
    for (const path of ['/my/security-info/add/questions', '/my/activity']) {
      const other = await br.get(path, srv.issuer);
      assertNoAnswers(other.text);
    }

    const audit = await tdb
      .db('audit_events')
      .where({ activity: 'security_info.add', result: 'succeeded', subject_id: kana.id });
    assert.equal(audit.length, 1);
    await deliverQueuedNotices(srv);
    const mail = await tdb
      .db('outbox')
      .where({ recipient: 'kana@example.jp', purpose: 'notice.security_info_added' });
    assert.equal(mail.length, 1);
    assertNoAnswers(JSON.stringify(mail));
    const row = await tdb.db('credentials').where({ user_id: kana.id, kind: 'questions' }).first();
    assertNoAnswers(JSON.stringify(row));

    // Never edited: deleted, then registered again.
    page = await br.get('/my/security-info', srv.issuer);
    r = await br.post(
      `/my/security-info/${row.id}/delete`,
      { _csrf: hiddenInputs(page.text)._csrf },
      srv.issuer,
    );
    assert.equal(r.status, 302);
    page = await br.follow(r);
    assert.match(page.text, /href="\/my\/security-info\/add\/questions"/);
    assert.doesNotMatch(page.text, /3 security questions/);
  });

  it('at reset, the drawn questions are asked in Japanese; a wrong answer draws again; right answers pass', async () => {
    const yuki = await addUserViaCli(srv, 'yuki', password, ['--email', 'yuki@example.jp']);
    const br = new Browser();
    br.acceptLanguage = 'ja';
    let page = await open(br, '/my/security-info/add/questions', 'yuki');
    const fields: Record<string, string> = { ...hiddenInputs(page.text) };
    QUESTIONS.forEach((q, i) => {
      fields[`question${i + 1}`] = q;
      fields[`answer${i + 1}`] = ANSWERS[i];
    });
    assert.equal((await br.post('/my/security-info/add/questions', fields, srv.issuer)).status, 302);
    // The same answers as typed at reset: half-width katakana, spaces instead of a full-width one.
    const typed: Record<string, string> = {
      [ja['questions.q.first_school_city']]: ' 東京都  港区 ',
      [ja['questions.q.childhood_hero']]: 'ｳﾙﾄﾗﾏﾝ',
      [ja['questions.q.school_lunch_favorite']]: 'あげパン',
    };

    const rb = new Browser();
    rb.acceptLanguage = 'ja';
    const start = await rb.get('/reset', srv.issuer);
    let r = await rb.post(
      '/reset',
      { ...hiddenInputs(start.text), username: 'yuki', altcha: await solvePowInPage(start.text) },
      srv.issuer,
    );
    page = await rb.follow(r);
    assert.match(page.text, /href="\/reset\/verify\/questions"/, 'questions are offered at reset');
    page = await rb.get('/reset/verify/questions', srv.issuer);
    assert.equal(page.status, 200);
    const asked = () =>
      [...page.text.matchAll(/<label for="questions-verify-answer-(\d)">([^<]+)<\/label>/g)].map((m) => ({
        n: m[1],
        text: decodeEntities(m[2]),
      }));
    assert.deepEqual(
      asked()
        .map((q) => q.text)
        .sort(),
      Object.keys(typed).sort(),
    );
    const firstDraw = hiddenInputs(page.text).drawId;
    assert.ok(firstDraw);

    const answer = (wrong: boolean) => {
      const f: Record<string, string> = { ...hiddenInputs(page.text) };
      for (const q of asked()) f[`answer${q.n}`] = typed[q.text];
      if (wrong) f.answer2 = 'まちがい';
      return f;
    };
    r = await rb.post('/reset/verify/questions', answer(true), srv.issuer);
    assert.equal(r.status, 400);
    assert.equal(alertText(r.text), ja['questions.wrong']);
    assertNoAnswers(r.text);
    page = r;
    assert.notEqual(hiddenInputs(page.text).drawId, firstDraw, 'a new draw after a wrong answer');

    r = await rb.post('/reset/verify/questions', answer(false), srv.issuer);
    assert.equal(r.status, 302);
    page = await rb.follow(r);
    assert.equal(new URL(page.url).pathname, '/reset/password', 'one gate passed');
    const verified = await tdb.db('audit_events').where({ activity: 'reset.verify', subject_id: yuki.id });
    assert.deepEqual(verified.map((e) => e.result).sort(), ['failed', 'succeeded']);
  });

  it('an administrator is not offered security questions, and posting them is refused', async () => {
    const br = new Browser();
    const page = await open(br, '/my/security-info', 'boss');
    assert.equal(page.status, 200);
    assert.match(page.text, /href="\/my\/security-info\/add\/app"/, 'other methods are offered');
    assert.doesNotMatch(page.text, /add\/questions/);

    let r = await br.get('/my/security-info/add/questions', srv.issuer);
    assert.equal(r.status, 400);
    assert.doesNotMatch(r.text, /name="question1"/);
    const fields: Record<string, string> = { _csrf: hiddenInputs(page.text)._csrf };
    QUESTIONS.forEach((q, i) => {
      fields[`question${i + 1}`] = q;
      fields[`answer${i + 1}`] = ['first answer', 'second answer', 'third answer'][i];
    });
    r = await br.post('/my/security-info/add/questions', fields, srv.issuer);
    assert.equal(r.status, 400);
    assert.match(decodeEntities(r.text), /You cannot add that method/);
    assert.equal((await tdb.db('credentials').where({ user_id: boss.id })).length, 0);
  });
});

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import type { Db } from '../../src/db/knex.ts';
import { createViews } from '../../src/http/views.ts';
import { translator } from '../../src/i18n/index.ts';
import { appMethod, newSecret, otpauthUri, totpAt } from '../../src/methods/app/index.ts';
import type { MethodContext } from '../../src/methods/types.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { type Credential, insertCredential, listCredentials } from '../../src/store/credentials.ts';
import { createUser, type User } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { methodContext } from '../helpers/method-context.ts';

/*
 * Codes are computed independently of Tobira with Debian's oathtool, at the ManualClock's time.
 * Without oathtool the code-checking tests are skipped with a notice, unless TOBIRA_REQUIRE_TOOLS=1.
 */
const hasOathtool = spawnSync('oathtool', ['--version'], { stdio: 'ignore' }).status === 0;
const requireTools = process.env.TOBIRA_REQUIRE_TOOLS === '1';
const needsOathtool: false | string =
  hasOathtool || requireTools ? false : 'oathtool is not installed (apt-get install oathtool)';
if (!hasOathtool && !requireTools) {
  console.log(
    '# notice: oathtool not found; TOTP code tests are skipped (install it with: apt-get install oathtool)',
  );
}

function oathtool(secret: string, at: Date): string {
  if (!hasOathtool) throw new Error('oathtool is required (TOBIRA_REQUIRE_TOOLS=1) but not installed');
  const now = `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return execFileSync('oathtool', ['--totp', '-b', '--now', now, secret], { encoding: 'utf8' }).trim();
}

const STEP = 30_000;
const flowCounter = { n: 0 };
const newFlow = (prefix = 'signin') => `${prefix}:${++flowCounter.n}-${crypto.randomUUID()}`;

/** A 6-digit code that is none of the given ones. */
function otherCode(...avoid: string[]): string {
  for (let i = 0; ; i++) {
    const c = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
    if (!avoid.includes(c)) return c;
    assert.ok(i < 100);
  }
}

/** Every code an app credential would accept now (previous, current and next step). */
function windowCodes(secret: string, clock: ManualClock): string[] {
  const t = clock.now().getTime();
  return [t - STEP, t, t + STEP].map((x) => oathtool(secret, new Date(x)));
}

const rowText = async (db: Db, table: string, id: string) =>
  JSON.stringify(await db(table).where({ id }).first());
const dataOf = (row: any) => (typeof row.data === 'string' ? JSON.parse(row.data) : row.data);

describe(`authenticator app method (${backendName})`, () => {
  let tdb: TestDatabase;
  let cx: MethodContext;
  let clock: ManualClock;
  let box: SecretBox;
  let alice: User;
  let bob: User;
  let aliceSecret = '';
  let aliceSecret2 = '';
  let bobSecret = '';
  let aliceCred: Credential;
  let aliceCred2: Credential;

  before(async () => {
    tdb = await createTestDatabase();
    // Ten seconds into a time step, so that ±30 s lands in the neighbouring steps.
    clock = new ManualClock(Date.UTC(2026, 0, 1, 9, 0, 10));
    box = new SecretBox(crypto.randomBytes(32));
    cx = methodContext({ db: tdb.db, clock, box });
    alice = await createUser(tdb.db, { login: 'alice', displayName: 'Alice' }, clock.now());
    bob = await createUser(tdb.db, { login: 'bob', displayName: 'Bob' }, clock.now());
  });
  after(() => tdb?.drop());

  if (requireTools) {
    it('oathtool is available (TOBIRA_REQUIRE_TOOLS=1)', () => {
      assert.ok(hasOathtool, 'oathtool is not installed');
    });
  }

  it('oathtool reads the time as given (RFC 6238 SHA-1 vector at T=59)', { skip: needsOathtool }, () => {
    // Secret "12345678901234567890"; RFC 6238 appendix B gives 94287082, whose last six digits are 287082.
    assert.equal(oathtool('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', new Date(59_000)), '287082');
  });

  it('computes the RFC 6238 SHA-1 vectors from a base32 secret as enrolments store it (otplib)', () => {
    // Enrolments keep the secret as unpadded upper-case base32 of 20 bytes; these are appendix B's
    // eight-digit values cut to the six digits apps show.
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const vectors: Array<[number, string]> = [
      [59, '287082'],
      [1111111109, '081804'],
      [1111111111, '050471'],
      [1234567890, '005924'],
      [2000000000, '279037'],
      [20000000000, '353130'],
    ];
    for (const [t, code] of vectors) assert.equal(totpAt(secret, new Date(t * 1000)), code, `T=${t}`);
    assert.match(newSecret(), /^[A-Z2-7]{32}$/);
  });

  it('declares its kind, uses and limits', () => {
    assert.equal(appMethod.kind, 'app');
    assert.deepEqual(appMethod.usableFor, { signIn: true, reset: true });
    assert.equal(appMethod.maxPerUser, 5);
  });

  it('enroll.begin shows a QR code and a typed key, and keeps the secret sealed', async () => {
    const flow = `enroll:${alice.id}`;
    const view = await appMethod.enroll.begin(cx, alice, flow, {});
    assert.equal(view.partial, 'app/enroll');
    const data = view.data as Record<string, string>;
    assert.match(
      data.secretText,
      /^(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}$/,
      '160 bits: 32 base32 characters in groups of 4',
    );
    aliceSecret = data.secretText.replace(/ /g, '');
    assert.match(
      data.qrSvg,
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^<>]*>(?:<path [^<>]*\/>)+<\/svg>$/,
    );
    assert.ok(!JSON.stringify(view.data).includes('otpauth'), 'the URI is not sent to the page');
    assert.equal(typeof data.challengeId, 'string');

    const raw = await tdb.db('challenges').where({ id: data.challengeId }).first();
    assert.equal(raw.kind, 'app.enroll');
    assert.equal(raw.user_id, alice.id);
    assert.equal(new Date(raw.expires_at).getTime() - clock.now().getTime(), 10 * 60_000);
    assert.ok(!JSON.stringify(raw).includes(aliceSecret), 'no plaintext secret in the challenge row');
    assert.equal(box.decryptString('totp-secret', dataOf(raw).secret), aliceSecret);

    const again = await appMethod.enroll.begin(cx, alice, flow, {});
    assert.equal(again.data.challengeId, data.challengeId, 'a reload shows the same enrolment');
    assert.equal(again.data.secretText, data.secretText);
  });

  it('builds the otpauth URI with issuer, label and explicit parameters', () => {
    assert.equal(
      otpauthUri('Tobira', 'alice', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'),
      'otpauth://totp/Tobira:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Tobira&algorithm=SHA1&digits=6&period=30',
    );
    const u = otpauthUri('Acme: Tokyo', 'ユーザー@example.jp', 'AAAA');
    assert.ok(u.startsWith('otpauth://totp/Acme%3A%20Tokyo:%E3%83%A6'), u);
    assert.ok(u.includes('&issuer=Acme%3A%20Tokyo&'), u);
    assert.ok(!u.includes('+'));
  });

  it('enroll.finish refuses a wrong code and accepts the code oathtool computes', {
    skip: needsOathtool,
  }, async () => {
    const flow = `enroll:${alice.id}`;
    const good = windowCodes(aliceSecret, clock);
    const wrong = await appMethod.enroll.finish(cx, alice, flow, { code: otherCode(...good) });
    assert.deepEqual(wrong, { ok: false, error: 'app.code_invalid' });
    assert.deepEqual(await appMethod.enroll.finish(cx, alice, flow, { code: '12345' }), {
      ok: false,
      error: 'app.code_format',
    });
    assert.deepEqual(
      await appMethod.enroll.finish(cx, alice, flow, { code: 'x'.repeat(65), name: 'a'.repeat(65) }),
      {
        ok: false,
        error: 'app.name_too_long',
        params: { max: 64 },
      },
    );

    const code = oathtool(aliceSecret, clock.now());
    const r = await appMethod.enroll.finish(cx, alice, flow, { code, name: '  Work \n phone ' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.credential.kind, 'app');
    assert.equal(r.credential.label, 'Work phone');
    assert.equal(r.credential.data.lastStep, Math.floor(clock.now().getTime() / STEP));
    assert.equal(box.decryptString('totp-secret', r.credential.data.secret as string), aliceSecret);

    assert.deepEqual(await appMethod.enroll.finish(cx, alice, flow, { code }), {
      ok: false,
      error: 'app.enroll_expired',
    });

    aliceCred = await insertCredential(tdb.db, alice.id, r.credential, clock.now());
    const text = await rowText(tdb.db, 'credentials', aliceCred.id);
    assert.ok(!text.includes(aliceSecret) && !text.toLowerCase().includes(aliceSecret.toLowerCase()));
    assert.ok(!text.includes(aliceSecret.slice(0, 8)), 'not even a part of it');
    const challengeRows = await tdb.db('challenges').where({ flow });
    assert.ok(!JSON.stringify(challengeRows).includes(aliceSecret));
  });

  it('enroll: five wrong codes exhaust it; a new start gives a new secret; stale pages are refused', {
    skip: needsOathtool,
  }, async () => {
    const flow = newFlow('enroll');
    const first = await appMethod.enroll.begin(cx, alice, flow, {});
    const secret = String(first.data.secretText).replace(/ /g, '');
    const good = windowCodes(secret, clock);
    for (let i = 1; i <= 4; i++) {
      assert.deepEqual(await appMethod.enroll.finish(cx, alice, flow, { code: otherCode(...good) }), {
        ok: false,
        error: 'app.code_invalid',
      });
    }
    assert.deepEqual(await appMethod.enroll.finish(cx, alice, flow, { code: otherCode(...good) }), {
      ok: false,
      error: 'app.enroll_exhausted',
    });
    assert.deepEqual(await appMethod.enroll.finish(cx, alice, flow, { code: good[1] }), {
      ok: false,
      error: 'app.enroll_exhausted',
    });

    const second = await appMethod.enroll.begin(cx, alice, flow, {});
    assert.notEqual(second.data.challengeId, first.data.challengeId);
    assert.notEqual(second.data.secretText, first.data.secretText);

    const third = await appMethod.enroll.begin(cx, alice, flow, { restart: '1' });
    assert.notEqual(third.data.challengeId, second.data.challengeId, '"start again" replaces the secret');
    aliceSecret2 = String(third.data.secretText).replace(/ /g, '');
    const secondCode = oathtool(String(second.data.secretText).replace(/ /g, ''), clock.now());
    assert.deepEqual(
      await appMethod.enroll.finish(cx, alice, flow, {
        code: secondCode,
        challengeId: second.data.challengeId,
      }),
      { ok: false, error: 'app.enroll_expired' },
      'a page showing a replaced secret is refused',
    );

    const r = await appMethod.enroll.finish(cx, alice, flow, {
      code: oathtool(aliceSecret2, clock.now()),
      challengeId: third.data.challengeId,
      name: '   ',
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.credential.label, 'Authenticator app');
    aliceCred2 = await insertCredential(tdb.db, alice.id, r.credential, clock.now());
  });

  it('enroll.finish refuses an enrolment that expired (10 minutes) and one of another user', {
    skip: needsOathtool,
  }, async () => {
    const flow = newFlow('enroll');
    const v = await appMethod.enroll.begin(cx, alice, flow, {});
    const secret = String(v.data.secretText).replace(/ /g, '');
    assert.deepEqual(
      await appMethod.enroll.finish(cx, bob, flow, { code: oathtool(secret, clock.now()) }),
      { ok: false, error: 'app.enroll_expired' },
      "bob cannot finish alice's enrolment",
    );
    clock.advance(10 * 60_000 + 1000);
    assert.deepEqual(
      await appMethod.enroll.finish(cx, alice, flow, { code: oathtool(secret, clock.now()) }),
      {
        ok: false,
        error: 'app.enroll_expired',
      },
    );
  });

  it('challenge() has nothing to send; describe() gives the name or the localized default', async () => {
    const creds = await listCredentials(tdb.db, alice.id);
    assert.deepEqual(await appMethod.challenge(cx, alice, creds, newFlow()), {
      partial: 'app/verify',
      data: {},
    });
    const cred = (label: string): Credential => ({
      id: crypto.randomUUID(),
      userId: alice.id,
      kind: 'app',
      label,
      data: {},
      lookup: null,
      isDefault: false,
      createdAt: clock.now(),
      confirmedAt: clock.now(),
      lastUsedAt: null,
    });
    const named = cred('Work phone');
    const unnamed = cred('Authenticator app');
    assert.equal(appMethod.describe(cred(''), translator('ja')), '認証アプリ');
    assert.equal(appMethod.describe(named, translator('ja')), 'Work phone');
    assert.equal(appMethod.describe(unnamed, translator('en')), 'Authenticator app');
    assert.equal(appMethod.describe(unnamed, translator('ja')), '認証アプリ');
  });

  it('verify accepts the current code once and refuses it again (replay)', {
    skip: needsOathtool,
  }, async () => {
    clock.advance(STEP);
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    const code = oathtool(aliceSecret, clock.now());
    const ok = await appMethod.verify(cx, alice, creds, flow, { code });
    assert.deepEqual(ok, { ok: true, credentialId: aliceCred.id, amr: ['otp'] });
    const row = await tdb.db('credentials').where({ id: aliceCred.id }).first();
    assert.equal(new Date(row.last_used_at).getTime(), clock.now().getTime());
    assert.equal(Number(dataOf(row).lastStep), Math.floor(clock.now().getTime() / STEP));

    assert.deepEqual(await appMethod.verify(cx, alice, creds, flow, { code }), {
      ok: false,
      error: 'app.code_used',
    });
    assert.deepEqual(
      await appMethod.verify(cx, alice, creds, newFlow(), { code }),
      { ok: false, error: 'app.code_used' },
      'used is used, whatever the flow',
    );
  });

  it('the code used to enrol cannot be used to sign in', { skip: needsOathtool }, async () => {
    const flow = newFlow('enroll');
    const v = await appMethod.enroll.begin(cx, bob, flow, {});
    bobSecret = String(v.data.secretText).replace(/ /g, '');
    const code = oathtool(bobSecret, clock.now());
    const r = await appMethod.enroll.finish(cx, bob, flow, { code });
    assert.ok(r.ok);
    await insertCredential(tdb.db, bob.id, r.credential, clock.now());
    const creds = await listCredentials(tdb.db, bob.id);
    assert.deepEqual(await appMethod.verify(cx, bob, creds, newFlow(), { code }), {
      ok: false,
      error: 'app.code_used',
    });
  });

  it('accepts the previous and the next step once each, and refuses two steps away', {
    skip: needsOathtool,
  }, async () => {
    clock.advance(3 * STEP);
    const creds = await listCredentials(tdb.db, alice.id);
    const t = clock.now().getTime();
    const flow = newFlow();
    const prev = oathtool(aliceSecret, new Date(t - STEP));
    const next = oathtool(aliceSecret, new Date(t + STEP));
    assert.equal((await appMethod.verify(cx, alice, creds, flow, { code: prev })).ok, true, 't-30s accepted');
    assert.deepEqual(await appMethod.verify(cx, alice, creds, flow, { code: prev }), {
      ok: false,
      error: 'app.code_used',
    });
    assert.equal((await appMethod.verify(cx, alice, creds, flow, { code: next })).ok, true, 't+30s accepted');
    assert.deepEqual(await appMethod.verify(cx, alice, creds, flow, { code: next }), {
      ok: false,
      error: 'app.code_used',
    });

    clock.advance(20 * STEP);
    const far = newFlow();
    const u = clock.now().getTime();
    const inWindow = [...windowCodes(aliceSecret, clock), ...windowCodes(aliceSecret2, clock)];
    for (const dt of [-2 * STEP, 2 * STEP]) {
      const code = oathtool(aliceSecret, new Date(u + dt));
      if (inWindow.includes(code)) continue; // a one-in-a-million coincidence, not a failure
      assert.deepEqual(
        await appMethod.verify(cx, alice, creds, far, { code }),
        { ok: false, error: 'app.code_invalid' },
        `t${dt > 0 ? '+' : ''}${dt / 1000}s refused`,
      );
    }
    // Spaces and full-width digits (a Japanese IME) are accepted.
    const code = oathtool(aliceSecret, clock.now());
    const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;
    assert.equal((await appMethod.verify(cx, alice, creds, far, { code: spaced })).ok, true);
    clock.advance(STEP);
    const wide = oathtool(aliceSecret, clock.now()).replace(/[0-9]/g, (d) =>
      String.fromCharCode(0xff10 + Number(d)),
    );
    assert.equal((await appMethod.verify(cx, alice, creds, far, { code: wide })).ok, true);
  });

  it("accepts a code from any of the user's apps", { skip: needsOathtool }, async () => {
    clock.advance(STEP);
    const creds = await listCredentials(tdb.db, alice.id);
    const r = await appMethod.verify(cx, alice, creds, newFlow(), {
      code: oathtool(aliceSecret2, clock.now()),
    });
    assert.deepEqual(r, { ok: true, credentialId: aliceCred2.id, amr: ['otp'] });
  });

  it('five wrong codes exhaust the flow, even for a right code; another flow still works', {
    skip: needsOathtool,
  }, async () => {
    clock.advance(STEP);
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    const good = [...windowCodes(aliceSecret, clock), ...windowCodes(aliceSecret2, clock)];
    for (let i = 1; i <= 4; i++) {
      assert.deepEqual(await appMethod.verify(cx, alice, creds, flow, { code: otherCode(...good) }), {
        ok: false,
        error: 'app.code_invalid',
      });
    }
    const fifth = await appMethod.verify(cx, alice, creds, flow, { code: otherCode(...good) });
    assert.deepEqual(fifth, { ok: false, error: 'app.too_many', exhausted: true });
    const counter = await tdb.db('counters').where({ key: `code:${flow}:app` });
    assert.equal(counter.length, 1);
    assert.equal(counter[0].hits, 5);
    assert.equal(counter[0].pending, 0);

    const right = oathtool(aliceSecret, clock.now());
    assert.deepEqual(await appMethod.verify(cx, alice, creds, flow, { code: right }), {
      ok: false,
      error: 'app.too_many',
      exhausted: true,
      // Refused before it was looked at: no attempt of its own.
      counted: false,
    });
    assert.equal(
      (await appMethod.verify(cx, alice, creds, newFlow(), { code: right })).ok,
      true,
      'the refused right code was not spent, and another flow is not blocked',
    );
  });

  it('refuses badly formed codes before anything else, without counting them', {
    skip: needsOathtool,
  }, async () => {
    clock.advance(STEP);
    const creds = await listCredentials(tdb.db, alice.id);
    const flow = newFlow();
    for (const code of [
      '12345',
      'abcdef',
      '1234567',
      '12-34-56',
      '',
      '１２３４５',
      undefined,
      ['123456'],
      123456,
    ]) {
      assert.deepEqual(
        await appMethod.verify(cx, alice, creds, flow, { code }),
        { ok: false, error: 'app.code_format', counted: false },
        JSON.stringify(code),
      );
    }
    assert.equal((await tdb.db('challenges').where({ flow })).length, 0, 'no counter for format errors');
    assert.equal(
      (await appMethod.verify(cx, alice, creds, flow, { code: oathtool(aliceSecret, clock.now()) })).ok,
      true,
    );
  });

  it("refuses a code from another user's secret", { skip: needsOathtool }, async () => {
    clock.advance(STEP);
    const aliceCreds = await listCredentials(tdb.db, alice.id);
    const bobCreds = await listCredentials(tdb.db, bob.id);
    const bobCode = oathtool(bobSecret, clock.now());
    const aliceWindow = [...windowCodes(aliceSecret, clock), ...windowCodes(aliceSecret2, clock)];
    if (!aliceWindow.includes(bobCode)) {
      assert.deepEqual(await appMethod.verify(cx, alice, aliceCreds, newFlow(), { code: bobCode }), {
        ok: false,
        error: 'app.code_invalid',
      });
    }
    assert.deepEqual(
      await appMethod.verify(cx, alice, bobCreds, newFlow(), { code: bobCode }),
      { ok: false, error: 'app.code_invalid' },
      "bob's credentials handed in for alice are ignored",
    );
    assert.equal((await appMethod.verify(cx, bob, bobCreds, newFlow(), { code: bobCode })).ok, true);
  });

  it('one code is accepted once when two instances verify it at the same moment', {
    skip: needsOathtool,
  }, async () => {
    clock.advance(STEP);
    const other: MethodContext = { ...cx, db: usingPostgres ? tdb.connect() : tdb.db };
    const creds = await listCredentials(tdb.db, alice.id);
    const code = oathtool(aliceSecret, clock.now());
    const results = await Promise.all([
      appMethod.verify(cx, alice, creds, newFlow(), { code }),
      appMethod.verify(other, alice, creds, newFlow(), { code }),
    ]);
    assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
    assert.deepEqual(
      results.find((r) => !r.ok),
      { ok: false, error: 'app.code_used' },
    );
  });

  it('no more than five apps per user', { skip: needsOathtool }, async () => {
    for (let i = 0; i < 4; i++) {
      await insertCredential(
        tdb.db,
        bob.id,
        { kind: 'app', label: `extra ${i}`, data: { secret: 'v1.x', lastStep: 0 } },
        clock.now(),
      );
    }
    const flow = newFlow('enroll');
    const v = await appMethod.enroll.begin(cx, bob, flow, {});
    const code = oathtool(String(v.data.secretText).replace(/ /g, ''), clock.now());
    assert.deepEqual(await appMethod.enroll.finish(cx, bob, flow, { code }), {
      ok: false,
      error: 'app.limit_reached',
      params: { max: 5 },
    });
    // The broken extra rows (undecryptable) are skipped, not fatal.
    clock.advance(STEP);
    const creds = await listCredentials(tdb.db, bob.id);
    assert.equal(
      (await appMethod.verify(cx, bob, creds, newFlow(), { code: oathtool(bobSecret, clock.now()) })).ok,
      true,
    );
  });

  it('renders complete, accessible forms for both steps in both languages', async () => {
    const views = createViews(false);
    const view = await appMethod.enroll.begin(cx, alice, newFlow('enroll'), {});
    for (const locale of ['en', 'ja'] as const) {
      const t = translator(locale);
      const enroll = views.render('methods/app/enroll', { action: '/my/x', csrf: 'tok<>', t, ...view.data });
      const verify = views.render('methods/app/verify', {
        action: '/interaction/u/mfa/app',
        csrf: 'tok',
        t,
        error: 'x',
      });
      for (const html of [enroll, verify]) {
        assert.match(html, /<form method="post" action="[^"]+"/);
        assert.ok(html.includes('<input type="hidden" name="_csrf"'));
        assert.match(
          html,
          /<input [^>]*name="code"[^>]*inputmode="numeric"[^>]*autocomplete="one-time-code"[^>]*maxlength="7"/,
        );
        assert.match(html, /<button type="submit">/);
        assert.ok(!/<script|style=|\son\w+=/i.test(html), 'nothing a strict CSP would block');
        for (const [, id] of html.matchAll(/<label for="([^"]+)"/g))
          assert.ok(html.includes(`id="${id}"`), id);
      }
      assert.ok(enroll.includes('value="tok&lt;&gt;"'), 'escaped');
      assert.ok(enroll.includes(String(view.data.qrSvg)), 'the SVG inserted as is');
      assert.ok(enroll.includes(String(view.data.secretText)));
      assert.ok(enroll.includes('name="name"') && enroll.includes('maxlength="64"'));
      assert.ok(!enroll.includes('otpauth'));
      assert.ok(enroll.includes(t('app.enroll.step1')) && enroll.includes(t('app.enroll.step2')));
      assert.ok(verify.includes('aria-invalid="true"') && verify.includes('form-error'));
    }
  });
});

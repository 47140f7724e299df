import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import type { Db } from '../../src/db/knex.ts';
import { DeliveryError } from '../../src/delivery/types.ts';
import { translator } from '../../src/i18n/index.ts';
import { emailMethod, maskAddress, normalizeAddress } from '../../src/methods/email/index.ts';
import { credentialsFor } from '../../src/methods/registry.ts';
import type { MethodContext, MethodView } from '../../src/methods/types.ts';
import type { Policy } from '../../src/policy/settings.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { type Credential, insertCredential, listCredentials } from '../../src/store/credentials.ts';
import { createUser, type User } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { methodContext } from '../helpers/method-context.ts';

/* The email method over a real database and the real delivery facade: messages land in `outbox`. */

const MIN = 60_000;
let seq = 0;
const newFlow = (prefix = 'reset') => `${prefix}:${++seq}-${crypto.randomUUID()}`;
const codeIn = (text: string) => {
  const m = /^\s+(\d{6})\s*$/m.exec(text);
  assert.ok(m, `no code in:\n${text}`);
  return m[1];
};

describe(`email method (${backendName})`, () => {
  let tdb: TestDatabase;
  let db: Db;
  let clock: ManualClock;
  let box: SecretBox;
  let carol: User;
  const cxWith = (
    o: { policy?: Partial<Policy>; ip?: string; locale?: 'en' | 'ja'; failing?: boolean } = {},
  ): MethodContext => {
    const cx = methodContext({ db, clock, box, policy: o.policy, ip: o.ip ?? '192.0.2.1', locale: o.locale });
    if (!o.failing) return cx;
    return {
      ...cx,
      delivery: {
        send: async () => {
          throw new DeliveryError('delivery.timeout', 'smtp timed out', { channel: 'email' });
        },
        isLive: () => true,
      },
    };
  };
  const mails = (to?: string) => (to ? db('outbox').where({ recipient: to }) : db('outbox')).orderBy('id');
  const lastCode = async (to: string) => codeIn((await mails(to)).at(-1).body_text);
  /** The user presses "Send code" (nothing is sent on load): the page after, with a refusal as its problem. */
  async function ask(cx: MethodContext, user: User, creds: Credential[], flow: string): Promise<MethodView> {
    const sent = await emailMethod.verify(cx, user, creds, flow, { resend: '1' });
    const view = await emailMethod.challenge(cx, user, creds, flow);
    if (sent.ok || sent.step) return view;
    return { ...view, data: { ...view.data, problem: sent.error, problemParams: sent.params } };
  }

  before(async () => {
    tdb = await createTestDatabase();
    db = tdb.db;
    clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
    box = new SecretBox(crypto.randomBytes(32));
    carol = await createUser(
      db,
      { login: 'Carol@Corp.example', displayName: 'Carol', email: 'carol.work@corp.example' },
      clock.now(),
    );
  });
  after(() => tdb?.drop());

  it('is for password reset only, one address per user', () => {
    assert.equal(emailMethod.kind, 'email');
    assert.deepEqual(emailMethod.usableFor, { signIn: false, reset: true });
    assert.equal(emailMethod.maxPerUser, 1);
  });

  it('validates addresses: length, one @, no line breaks, commas or spaces', () => {
    assert.deepEqual(normalizeAddress('  Someone.Else+tag@Example.COM '), {
      ok: true,
      address: 'Someone.Else+tag@example.com',
    });
    assert.deepEqual(normalizeAddress('a@bücher.example'), { ok: true, address: 'a@xn--bcher-kva.example' });
    const err = (v: unknown) => {
      const r = normalizeAddress(v);
      assert.equal(r.ok, false, JSON.stringify(v));
      return (r as { error: string }).error;
    };
    assert.equal(err(''), 'missing');
    assert.equal(err(42), 'missing');
    assert.equal(
      err(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.example`),
      'tooLong',
    );
    assert.equal(err(`${'a'.repeat(65)}@example.com`), 'invalid', 'local part over 64');
    for (const bad of [
      'victim@example.com\r\nBcc: everyone@example.com',
      'victim@example.com\nBcc: x@example.com',
      'victim@example.com%0d%0abcc:x@example.com',
      'a@example.com,b@example.com',
      'a@example.com; b@example.com',
      'a b@example.com',
      'Name <a@example.com>',
      'a@@example.com',
      'a@b@example.com',
      'example.com',
      '@example.com',
      'a@',
      'a@localhost',
      'a@-bad.example',
      'a@example.123',
      '.a@example.com',
      'a..b@example.com',
      'a@exam ple.com',
      'a\u0000@example.com',
      'ä@example.com',
    ]) {
      const e = err(bad);
      assert.ok(e === 'invalid', `${JSON.stringify(bad)}: ${e}`);
    }
  });

  it('masks addresses as a•••@example.com', () => {
    assert.equal(maskAddress('alice@example.com'), 'a•••@example.com');
    assert.equal(maskAddress('x@example.com'), 'x•••@example.com');
    assert.equal(maskAddress(undefined), '•••');
    const c = { kind: 'email', data: { address: 'bob@example.org' } } as unknown as Credential;
    assert.equal(emailMethod.describe(c, translator('en')), 'b•••@example.org');
  });

  it('refuses the sign-in address, the profile address, overlong and injected addresses, and sends nothing', async () => {
    const cx = cxWith();
    const flow = `enroll:${carol.id}`;
    const begin = await emailMethod.enroll.begin(cx, carol, flow, {});
    assert.deepEqual(begin, { partial: 'email/enroll', data: { step: 'address', problem: undefined } });
    const finish = (address: string) => emailMethod.enroll.finish(cx, carol, flow, { address });
    assert.deepEqual(await finish('carol@CORP.example'), { ok: false, error: 'emailMethod.isSignInAddress' });
    assert.deepEqual(await finish(' CAROL.WORK@corp.example'), {
      ok: false,
      error: 'emailMethod.isProfileAddress',
    });
    assert.deepEqual(await finish(`${'a'.repeat(60)}@${'b'.repeat(200)}.example`), {
      ok: false,
      error: 'emailMethod.tooLong',
      params: { max: 254 },
    });
    assert.deepEqual(await finish('carol.home@example.com\r\nBcc: list@example.com'), {
      ok: false,
      error: 'emailMethod.addressInvalid',
      params: { max: 254 },
    });
    assert.deepEqual(await finish('carol.home@example.com, other@example.com'), {
      ok: false,
      error: 'emailMethod.addressInvalid',
      params: { max: 254 },
    });
    assert.equal((await mails()).length, 0, 'nothing sent');
  });

  let carolEmail: Credential;

  it('enrols an alternate address confirmed by a code, in the user’s language', async () => {
    const cx = cxWith({ locale: 'ja' });
    const flow = `enroll:${carol.id}`;
    const r = await emailMethod.enroll.finish(cx, carol, flow, { address: 'Carol.Home@Example.com' });
    assert.deepEqual(r, {
      ok: false,
      error: 'emailMethod.codeSent',
      params: { address: 'C•••@example.com' },
      step: true,
    });
    const [m] = await mails('Carol.Home@example.com');
    assert.equal(m.channel, 'email');
    assert.equal(m.locale, 'ja');
    assert.equal(m.purpose, 'email.enroll_code');
    assert.equal(m.subject, 'Tobira の確認コード');
    const code = codeIn(m.body_text);
    assert.ok(!m.subject.includes(code), 'the code is not in the subject (previews, logs)');
    assert.ok(m.body_html.includes(`<strong>${code}</strong>`));
    assert.match(m.body_html, /^<!doctype html>/);
    assert.match(m.body_text, /有効期限は 10 分/);

    // The code email carries the organization's brand, like every notice.
    const branded = cxWith({ policy: { organizationName: 'Acme', accentColor: '#aa3300' } });
    await emailMethod.enroll.finish(branded, carol, `enroll:${carol.id}:brand`, {
      address: 'carol.brand@example.com',
    });
    const [b] = await mails('carol.brand@example.com');
    assert.match(b.subject, /Acme/);
    assert.ok(b.body_html.includes('#aa3300'), 'the accent colour');

    const view = await emailMethod.enroll.begin(cx, carol, flow, {});
    assert.deepEqual(view.data, { step: 'code', sentTo: 'C•••@example.com' });
    const wrong = await emailMethod.enroll.finish(cx, carol, flow, {
      code: code === '999999' ? '000000' : '999999',
    });
    assert.deepEqual(wrong, { ok: false, error: 'emailMethod.codeInvalid', params: { remaining: 4 } });
    const done = await emailMethod.enroll.finish(cx, carol, flow, { code });
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(done.credential, {
      kind: 'email',
      label: '',
      data: { address: 'Carol.Home@example.com' },
    });
    carolEmail = await insertCredential(db, carol.id, done.credential, clock.now());
    assert.deepEqual(await emailMethod.enroll.finish(cx, carol, flow, { address: 'another@example.com' }), {
      ok: false,
      error: 'emailMethod.limitReached',
    });
    const rows = JSON.stringify((await db('challenges')).map(({ code_hash: _h, ...r }: any) => r));
    assert.ok(!rows.includes(code), 'no plaintext code in the database');
  });

  it('sends a reset code to the registered address and checks it once', async () => {
    const cx = cxWith();
    const flow = newFlow();
    const creds = credentialsFor(emailMethod, await listCredentials(db, carol.id));
    assert.deepEqual(
      creds.map((c) => c.id),
      [carolEmail.id],
    );
    const shown = await emailMethod.challenge(cx, carol, creds, flow);
    assert.equal(shown.data.canSend, true, 'the page offers "Send code"');
    assert.equal(
      await mails('Carol.Home@example.com').then(
        (m: any[]) => m.filter((x) => x.purpose === 'email.code').length,
      ),
      0,
      'nothing is sent on load',
    );
    const view = await ask(cx, carol, creds, flow);
    assert.deepEqual(view, {
      partial: 'email/verify',
      data: {
        sentTo: 'C•••@example.com',
        canEnter: true,
        canSend: false,
        waitSeconds: 30,
        problem: undefined,
        problemParams: undefined,
      },
    });
    await emailMethod.challenge(cx, carol, creds, flow);
    const sent = await mails('Carol.Home@example.com');
    assert.equal(
      sent.filter((m: any) => m.purpose === 'email.code').length,
      1,
      'showing the page again sends nothing',
    );
    assert.match(sent.at(-1).subject, /^Your Tobira verification code$/);
    const code = await lastCode('Carol.Home@example.com');
    assert.deepEqual(await emailMethod.verify(cx, carol, creds, flow, { code }), {
      ok: true,
      credentialId: carolEmail.id,
      amr: ['otp'],
    });
    assert.deepEqual(
      await emailMethod.verify(cx, carol, creds, flow, { code }),
      { ok: false, error: 'emailMethod.codeExpired', counted: false },
      'replay',
    );
    assert.ok((await listCredentials(db, carol.id))[0].lastUsedAt);
  });

  it('expires codes after 10 minutes and keeps the wrong-entry count across new codes', async () => {
    const cx = cxWith();
    const creds = credentialsFor(emailMethod, await listCredentials(db, carol.id));
    const flow = newFlow();
    await ask(cx, carol, creds, flow);
    const code = await lastCode('Carol.Home@example.com');
    clock.advance(10 * MIN);
    assert.deepEqual(await emailMethod.verify(cx, carol, creds, flow, { code }), {
      ok: false,
      error: 'emailMethod.codeExpired',
      counted: false,
    });
    for (let i = 0; i < 4; i++) {
      clock.advance(30_000); // "send again" waits 30 s
      assert.deepEqual(await emailMethod.verify(cx, carol, creds, flow, { resend: '1' }), {
        ok: false,
        // The first code had expired: this one is a new code, not a replacement.
        error: i === 0 ? 'emailMethod.codeSent' : 'emailMethod.codeResent',
        counted: false,
        params: { address: 'C•••@example.com' },
        step: true,
      });
      const c = await lastCode('Carol.Home@example.com');
      const r = await emailMethod.verify(cx, carol, creds, flow, {
        code: String((Number(c) + 7) % 1e6).padStart(6, '0'),
      });
      assert.equal(r.ok, false);
    }
    clock.advance(30_000);
    await emailMethod.verify(cx, carol, creds, flow, { resend: '1' });
    const last = await emailMethod.verify(cx, carol, creds, flow, { code: 'abcdef' });
    assert.deepEqual(last, { ok: false, error: 'emailMethod.codeFormat', counted: false });
    const fifth = await emailMethod.verify(cx, carol, creds, flow, {
      code: '000000' === (await lastCode('Carol.Home@example.com')) ? '111111' : '000000',
    });
    assert.deepEqual(fifth, { ok: false, error: 'emailMethod.tooMany', exhausted: true });
    const code2 = await lastCode('Carol.Home@example.com');
    assert.deepEqual(await emailMethod.verify(cx, carol, creds, flow, { code: code2 }), {
      ok: false,
      error: 'emailMethod.tooMany',
      exhausted: true,
    });
    assert.equal((await emailMethod.challenge(cx, carol, creds, flow)).data.problem, 'emailMethod.tooMany');
  });

  it('sends at most 10 emails to one address in 10 minutes', async () => {
    clock.advance(60 * MIN);
    const dan = await createUser(db, { login: 'dan', displayName: 'Dan' }, clock.now());
    const cred = await insertCredential(
      db,
      dan.id,
      { kind: 'email', label: '', data: { address: 'dan@example.net' } },
      clock.now(),
    );
    const cx = cxWith();
    for (let i = 0; i < 10; i++) {
      const v = await ask(cx, dan, [cred], newFlow());
      assert.equal(v.data.canEnter, true, `email ${i + 1}`);
      clock.advance(30_000);
    }
    const refused = await ask(cx, dan, [cred], newFlow());
    assert.equal(refused.data.problem, 'emailMethod.limitAddress');
    assert.deepEqual(refused.data.problemParams, { minutes: 5 });
    assert.equal(refused.data.canEnter, false);
    assert.equal((await mails('dan@example.net')).length, 10, 'the eleventh was not sent');
    // Enrolling the same address (another account) is limited by the same counter, case-insensitively.
    const erin = await createUser(db, { login: 'erin', displayName: 'Erin' }, clock.now());
    assert.deepEqual(
      await emailMethod.enroll.finish(cx, erin, `enroll:${erin.id}`, { address: 'DAN@example.net' }),
      {
        ok: false,
        error: 'emailMethod.limitAddress',
        params: { minutes: 5 },
      },
    );
    clock.advance(5 * MIN);
    assert.equal((await ask(cx, dan, [cred], newFlow())).data.canEnter, true, 'allowed again');
  });

  it('per-account and per-IP limits for emails', async () => {
    clock.advance(2 * 60 * MIN);
    const fay = await createUser(db, { login: 'fay', displayName: 'Fay' }, clock.now());
    const cx = cxWith({ policy: { emailSendsPerAccountPerHour: 2 } });
    const flow = `enroll:${fay.id}`;
    for (const a of ['f1@example.com', 'f2@example.com']) {
      assert.equal(
        ((await emailMethod.enroll.finish(cx, fay, flow, { address: a })) as { error: string }).error,
        'emailMethod.codeSent',
      );
    }
    assert.deepEqual(await emailMethod.enroll.finish(cx, fay, flow, { address: 'f3@example.com' }), {
      ok: false,
      error: 'emailMethod.limitAccount',
      params: { minutes: 60 },
    });
    const ipCx = cxWith({ policy: { emailSendsPerIpPerHour: 1 }, ip: '198.51.100.20' });
    const gus = await createUser(db, { login: 'gus', displayName: 'Gus' }, clock.now());
    assert.equal(
      (
        (await emailMethod.enroll.finish(ipCx, gus, `enroll:${gus.id}`, { address: 'g1@example.com' })) as {
          error: string;
        }
      ).error,
      'emailMethod.codeSent',
    );
    assert.equal(
      (
        (await emailMethod.enroll.finish(ipCx, gus, `enroll:${gus.id}`, { address: 'g2@example.com' })) as {
          error: string;
        }
      ).error,
      'emailMethod.limitIp',
    );
    assert.equal((await mails('f3@example.com')).length + (await mails('g2@example.com')).length, 0);
  });

  it('a failed send is reported and leaves no code to guess', async () => {
    const cx = cxWith({ failing: true });
    const creds = credentialsFor(emailMethod, await listCredentials(db, carol.id));
    const flow = newFlow();
    const view = await ask(cx, carol, creds, flow);
    assert.equal(view.data.problem, 'emailMethod.sendFailed');
    assert.equal(view.data.canEnter, false);
    assert.equal((await db('challenges').where({ flow }).whereNull('consumed_at')).length, 0);
    assert.match(translator('en')('emailMethod.sendFailed'), /couldn't send the email. Use another method/);
  });
});

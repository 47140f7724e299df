import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/knex.ts';
import { createDelivery } from '../../src/delivery/index.ts';
import { type Delivery, DeliveryError, type Message } from '../../src/delivery/types.ts';
import { translator } from '../../src/i18n/index.ts';
import { createLogger } from '../../src/logger.ts';
import { confirmNumberAndSend, smsMethod, voiceMethod } from '../../src/methods/phone/index.ts';
import { countryOptions, maskPhone, parsePhone } from '../../src/methods/phone/numbers.ts';
import { credentialsFor } from '../../src/methods/registry.ts';
import type { MethodContext, MethodView } from '../../src/methods/types.ts';
import { defaultPolicy, type Policy } from '../../src/policy/settings.ts';
import { SecretBox } from '../../src/security/secrets.ts';
import { type Credential, insertCredential, listCredentials } from '../../src/store/credentials.ts';
import { createUser, type User } from '../../src/store/users.ts';
import { backendName, createTestDatabase, type TestDatabase, usingPostgres } from '../helpers/db.ts';
import { methodContext } from '../helpers/method-context.ts';
import { deliverQueuedNotices } from '../helpers/notices.ts';

/*
 * Texts and calls over a real database and the real delivery facade: with no Twilio configured, every
 * message lands in the `outbox` table, where the codes are read. A tap beside the outbox keeps the
 * Message objects too, because a call's code travels in Message.code (the text is the spoken lead-in).
 */

const HOUR = 3600_000;
const MIN = 60_000;
let seq = 0;
const newFlow = (prefix = 'signin') => `${prefix}:${++seq}-${crypto.randomUUID()}`;
/** A valid Japanese mobile number, different for every n < 10000. */
const jpMobile = (n: number) => `+81901234${String(10_000 + n).slice(1)}`;
const nationalOf = (e164: string) => `0${e164.slice(3)}`;

interface Tap {
  delivery: Delivery;
  sent: Message[];
  failing: Set<'sms' | 'voice' | 'email'>;
}

function tapDelivery(inner: Delivery): Tap {
  const sent: Message[] = [];
  const failing = new Set<'sms' | 'voice' | 'email'>();
  return {
    sent,
    failing,
    delivery: {
      async send(m) {
        if (failing.has(m.channel))
          throw new DeliveryError('delivery.failed', `${m.channel} provider down`, { channel: m.channel });
        await inner.send(m);
        sent.push(m);
      },
      isLive: (c) => inner.isLive(c),
    },
  };
}

const codeOf = (m: Message): string => {
  const code = (m as Message & { code?: string }).code ?? /\b(\d{6})\b/.exec(m.text)?.[1];
  assert.ok(code && /^\d{6}$/.test(code), `no code in the ${m.channel} message`);
  return code;
};

describe(`phone methods: text message and phone call (${backendName})`, () => {
  let tdb: TestDatabase;
  let db: Db;
  let clock: ManualClock;
  let box: SecretBox;
  let tap: Tap;
  let alice: User;
  let bob: User;
  const issued: string[] = [];

  /** Limits loose enough not to get in the way of the test at hand. */
  const loose: Partial<Policy> = {
    phoneHourlyBudget: 100_000,
    phoneSendsPerNumberPerHour: 100,
    phoneSendsPerAccountPerHour: 1000,
    phoneSendsPerIpPerHour: 100_000,
  };
  const cxWith = (
    o: { policy?: Partial<Policy>; ip?: string; db?: Db; locale?: 'en' | 'ja' } = {},
  ): MethodContext =>
    methodContext({
      db: o.db ?? db,
      clock,
      box,
      delivery: tap.delivery,
      policy: { ...loose, ...o.policy },
      ip: o.ip ?? '192.0.2.1',
      locale: o.locale,
    });

  const outbox = (where: Record<string, unknown> = {}) => db('outbox').where(where).orderBy('id');
  /**
   * The user presses "Send code" (nothing is sent when the page loads): the method's page after that
   * request, with the refusal as its problem when nothing could be sent.
   */
  async function ask(
    m: typeof smsMethod,
    cx: MethodContext,
    user: User,
    creds: Credential[],
    flow: string,
  ): Promise<MethodView> {
    const sent = await m.verify(cx, user, creds, flow, { resend: '1' });
    const view = await m.challenge(cx, user, creds, flow);
    if (sent.ok || sent.step) return view;
    return { ...view, data: { ...view.data, problem: sent.error, problemParams: sent.params } };
  }

  async function lastTo(to: string): Promise<Message> {
    const m = tap.sent.filter((x) => x.to === to).at(-1);
    assert.ok(m, `nothing sent to ${maskPhone(to)}`);
    issued.push(codeOf(m));
    return m;
  }
  const userOf = async (login: string, extra: { email?: string; roles?: ('admin' | 'helpdesk')[] } = {}) =>
    createUser(db, { login, displayName: login, ...extra }, clock.now());
  async function addPhone(
    user: User,
    e164: string,
    type: 'mobile' | 'alternate' = 'mobile',
  ): Promise<Credential> {
    return insertCredential(
      db,
      user.id,
      { kind: 'phone', label: '', data: { e164, country: 'JP', type } },
      clock.now(),
    );
  }

  before(async () => {
    tdb = await createTestDatabase();
    db = tdb.db;
    clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
    box = new SecretBox(crypto.randomBytes(32));
    const config = loadConfig({ ISSUER: 'http://localhost:3000' });
    tap = tapDelivery(createDelivery({ db, logger: createLogger('silent'), config, clock }));
    alice = await userOf('alice', { email: 'alice@example.com' });
    bob = await userOf('bob');
  });
  after(() => tdb?.drop());

  it('declares kinds, uses, limits and which phones each can use', () => {
    assert.equal(smsMethod.kind, 'sms');
    assert.equal(voiceMethod.kind, 'voice');
    for (const m of [smsMethod, voiceMethod]) {
      assert.deepEqual(m.usableFor, { signIn: true, reset: true });
      assert.equal(m.maxPerUser, 2);
      assert.equal(m.credentialKind, 'phone');
    }
    const mk = (type: string) =>
      ({ kind: 'phone', data: { e164: '+819012345678', type } }) as unknown as Credential;
    assert.equal(smsMethod.accepts?.(mk('mobile')), true);
    assert.equal(smsMethod.accepts?.(mk('alternate')), false, 'texts need the mobile');
    assert.equal(voiceMethod.accepts?.(mk('alternate')), true);
    assert.equal(voiceMethod.accepts?.(mk('mobile')), true);
  });

  it('normalizes numbers to E.164 in the chosen country', () => {
    const ok = (typed: string, country: string) => {
      const r = parsePhone(typed, country);
      assert.ok(r.ok, `${typed} (${country}): ${JSON.stringify(r)}`);
      return r.phone;
    };
    assert.deepEqual(ok('090-1234-5678', 'JP'), {
      e164: '+819012345678',
      country: 'JP',
      callingCode: '81',
      textable: true,
    });
    assert.equal(ok('０９０ １２３４ ５６７８', 'JP').e164, '+819012345678', 'full-width digits from an IME');
    assert.equal(ok('(090) 1234.5678', 'JP').e164, '+819012345678');
    assert.equal(ok('+81 90 1234 5678', 'US').e164, '+819012345678', 'a + number ignores the chooser');
    const us = ok('(201) 555-0123', 'US');
    assert.equal(us.e164, '+12015550123');
    assert.equal(us.country, 'US');
    assert.equal(ok('+1 201 555 0123', 'JP').country, 'US', 'the destination country is the number’s');
    const landline = ok('03-1234-5678', 'JP');
    assert.equal(landline.e164, '+81312345678');
    assert.equal(landline.textable, false);
  });

  it('refuses malformed numbers, extensions and premium-rate numbers', () => {
    const err = (typed: unknown, country: unknown = 'JP') => {
      const r = parsePhone(typed, country);
      assert.equal(r.ok, false, String(typed));
      return (r as { error: string }).error;
    };
    assert.equal(err(''), 'missing');
    assert.equal(err(undefined), 'missing');
    assert.equal(err('12'), 'invalid');
    assert.equal(err('abc'), 'invalid');
    assert.equal(err('090-1234-5678abc'), 'invalid');
    assert.equal(err('090-1234-56789012'), 'invalid');
    assert.equal(err('1'.repeat(41)), 'invalid');
    assert.equal(err('81+90 1234 5678'), 'invalid');
    assert.equal(err('+81 90 1234 5678 ext. 12'), 'extension');
    assert.equal(err('03-1234-5678 x123'), 'extension');
    assert.equal(err('03-1234-5678#123'), 'extension');
    assert.equal(err('03-1234-5678,,123'), 'extension');
    assert.equal(err('03-1234-5678 内線 123'), 'extension');
    assert.equal(err('090-1234-5678', 'ZZ'), 'country');
    assert.equal(err('090-1234-5678', '<script>'), 'country');
    assert.equal(err('0990-123-456'), 'notAccepted', 'premium rate');
  });

  it('offers the allowed countries, the organization’s by default, named in the reader’s language', () => {
    const config = loadConfig({ ISSUER: 'http://localhost:3000' });
    assert.deepEqual(countryOptions(defaultPolicy(), config, 'en'), [{ code: 'JP', label: 'Japan (+81)' }]);
    const two = countryOptions({ ...defaultPolicy(), allowedPhoneCountries: ['US', 'JP'] }, config, 'ja');
    assert.deepEqual(two.map((c) => c.code).sort(), ['JP', 'US']);
    assert.ok(
      two.some((c) => c.label === '日本 (+81)'),
      JSON.stringify(two),
    );
  });

  it('masks numbers as +81 ••• •••• 34', () => {
    assert.equal(maskPhone('+819012345634'), '+81 ••• •••• 34');
    assert.equal(maskPhone('+12015550123'), '+1 ••• •••• 23');
    assert.equal(maskPhone('nonsense'), '••• •••• ••');
    const c = { kind: 'phone', data: { e164: '+819012345634', type: 'mobile' } } as unknown as Credential;
    assert.equal(smsMethod.describe(c, translator('en')), '+81 ••• •••• 34');
    assert.equal(voiceMethod.describe(c, translator('ja')), '+81 ••• •••• 34');
  });

  it('enrolment refuses bad numbers with a clear error and sends nothing, a disallowed country included', async () => {
    const cx = cxWith();
    const flow = `enroll:${alice.id}`;
    const begin = await smsMethod.enroll.begin(cx, alice, flow, {});
    assert.equal(begin.partial, 'phone/enroll');
    assert.equal(begin.data.step, 'number');
    assert.equal(begin.data.country, 'JP');
    assert.deepEqual(begin.data.types, ['mobile', 'alternate']);
    const finish = (input: Record<string, string>) => smsMethod.enroll.finish(cx, alice, flow, input);
    const cases: Array<[Record<string, string>, string]> = [
      [{ number: '', country: 'JP' }, 'phone.numberMissing'],
      [{ number: '12', country: 'JP' }, 'phone.numberInvalid'],
      [{ number: '090-1234-5678 ext 9', country: 'JP' }, 'phone.extension'],
      [{ number: '03-1234-5678', country: 'JP', type: 'mobile', via: 'voice' }, 'phone.notMobile'],
      [{ number: '03-1234-5678', country: 'JP', type: 'alternate', via: 'sms' }, 'phone.smsNeedsMobile'],
      [{ number: '090-1234-5678', country: 'JP', type: 'pager' }, 'phone.typeInvalid'],
      [{ number: '7911 123456', country: 'GB', type: 'mobile' }, 'phone.countryNotAllowed'],
      [{ number: '+1 201 555 0123', country: 'JP', type: 'mobile' }, 'phone.countryNotAllowed'],
    ];
    for (const [input, error] of cases) {
      assert.deepEqual(await finish(input), { ok: false, error }, JSON.stringify(input));
    }
    assert.equal((await outbox()).length, 0, 'nothing was sent');
    assert.equal(tap.sent.length, 0);
    assert.equal(
      (await db('counters').whereLike('key', 'phone:%')).length,
      0,
      'a refused number is not even counted',
    );
  });

  let aliceMobile: Credential;

  it('enrols a mobile phone confirmed by text message', async () => {
    const cx = cxWith();
    const flow = `enroll:${alice.id}`;
    const r = await smsMethod.enroll.finish(cx, alice, flow, {
      number: '090-1234-5678',
      country: 'JP',
      type: 'mobile',
      via: 'sms',
    });
    assert.deepEqual(r, {
      ok: false,
      error: 'phone.codeSent',
      params: { number: '+81 ••• •••• 78' },
      step: true,
    });
    const rows = await outbox({ recipient: '+819012345678' });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].channel, 'sms');
    assert.equal(rows[0].purpose, 'phone.enroll_code');
    const code = /\b(\d{6})\b/.exec(rows[0].body_text)![1];
    issued.push(code);
    assert.match(rows[0].body_text, /is your Tobira verification code/);

    const view = await smsMethod.enroll.begin(cx, alice, flow, {});
    assert.deepEqual(view.data, { step: 'code', sentTo: '+81 ••• •••• 78', via: 'sms', canText: true });

    const wrong = await smsMethod.enroll.finish(cx, alice, flow, {
      code: code === '000000' ? '111111' : '000000',
    });
    assert.deepEqual(wrong, { ok: false, error: 'phone.codeInvalidSms', params: { remaining: 4 } });
    const done = await smsMethod.enroll.finish(cx, alice, flow, {
      code: ` ${code.slice(0, 3)} ${code.slice(3)} `,
    });
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(done.credential, {
      kind: 'phone',
      label: '',
      data: { e164: '+819012345678', country: 'JP', type: 'mobile' },
    });
    aliceMobile = await insertCredential(db, alice.id, done.credential, clock.now());
    assert.deepEqual(
      await smsMethod.enroll.finish(cx, alice, flow, { code }),
      { ok: false, error: 'phone.enrollExpired' },
      'single use',
    );
    const again = await smsMethod.enroll.begin(cx, alice, flow, {});
    assert.equal(again.data.step, 'number');
    assert.deepEqual(again.data.types, ['alternate'], 'one mobile at most');
    assert.deepEqual(
      await smsMethod.enroll.finish(cx, alice, flow, {
        number: '090-1111-2222',
        country: 'JP',
        type: 'mobile',
      }),
      { ok: false, error: 'phone.mobileTaken' },
    );
    assert.deepEqual(
      await voiceMethod.enroll.finish(cx, alice, flow, {
        number: '+81 90 1234 5678',
        type: 'alternate',
        via: 'voice',
      }),
      { ok: false, error: 'phone.duplicate' },
    );
  });

  let aliceLandline: Credential;

  it('enrols an alternate landline confirmed by a call that reads the code', async () => {
    const cx = cxWith({ locale: 'ja' });
    const flow = `enroll:${alice.id}`;
    const r = await voiceMethod.enroll.finish(cx, alice, flow, {
      number: '03-1234-5678',
      country: 'JP',
      type: 'alternate',
      via: 'voice',
    });
    assert.deepEqual(r, {
      ok: false,
      error: 'phone.codeSent',
      params: { number: '+81 ••• •••• 78' },
      step: true,
    });
    const call = await lastTo('+81312345678');
    assert.equal(call.channel, 'voice');
    assert.equal(call.locale, 'ja');
    const code = codeOf(call);
    assert.ok(
      !call.text.includes(code),
      'the spoken lead-in does not hold the code: the call reads it digit by digit',
    );
    assert.match(call.text, /確認コードは/);
    const row = (await outbox({ recipient: '+81312345678' }))[0];
    assert.equal(row.channel, 'voice');
    assert.equal(row.locale, 'ja');
    assert.ok(row.body_text.replace(/\s+/g, '').includes(code), 'the outbox shows what the call reads out');

    const view = await voiceMethod.enroll.begin(cx, alice, flow, {});
    assert.deepEqual(view.data, { step: 'code', sentTo: '+81 ••• •••• 78', via: 'voice', canText: false });
    assert.deepEqual(await voiceMethod.enroll.finish(cx, alice, flow, { resend: 'sms' }), {
      ok: false,
      error: 'phone.smsNeedsMobile',
    });
    const done = await voiceMethod.enroll.finish(cx, alice, flow, { code });
    assert.ok(done.ok, JSON.stringify(done));
    assert.deepEqual(done.credential.data, { e164: '+81312345678', country: 'JP', type: 'alternate' });
    aliceLandline = await insertCredential(db, alice.id, done.credential, clock.now());
    assert.deepEqual(
      await smsMethod.enroll.finish(cx, alice, flow, {
        number: '090-3333-4444',
        country: 'JP',
        type: 'mobile',
      }),
      { ok: false, error: 'phone.limitReached', params: { max: 2 } },
    );
    const creds = await listCredentials(db, alice.id);
    assert.deepEqual(
      credentialsFor(smsMethod, creds).map((c) => c.id),
      [aliceMobile.id],
    );
    assert.deepEqual(
      credentialsFor(voiceMethod, creds)
        .map((c) => c.id)
        .sort(),
      [aliceMobile.id, aliceLandline.id].sort(),
    );
  });

  it('a new enrolment code replaces the old one; "use a different number" starts over', async () => {
    const cx = cxWith();
    const flow = newFlow('enroll');
    await smsMethod.enroll.finish(cx, bob, flow, {
      number: nationalOf(jpMobile(1)),
      country: 'JP',
      type: 'mobile',
      via: 'sms',
    });
    const first = codeOf(await lastTo(jpMobile(1)));
    const resent = await smsMethod.enroll.finish(cx, bob, flow, { resend: '1' });
    assert.deepEqual(resent, {
      ok: false,
      error: 'phone.codeResent',
      params: { number: maskPhone(jpMobile(1)) },
      step: true,
    });
    const second = codeOf(await lastTo(jpMobile(1)));
    if (first !== second) {
      const old = await smsMethod.enroll.finish(cx, bob, flow, { code: first });
      assert.equal(old.ok, false, 'the replaced code no longer works');
    }
    assert.deepEqual(await smsMethod.enroll.finish(cx, bob, flow, { restart: '1' }), {
      ok: false,
      error: 'phone.enterNumber',
    });
    assert.equal((await smsMethod.enroll.begin(cx, bob, flow, {})).data.step, 'number');
    assert.deepEqual(await smsMethod.enroll.finish(cx, bob, flow, { code: second }), {
      ok: false,
      error: 'phone.enrollExpired',
    });
  });

  it('signs in with a text: one code per challenge, amr sms, the credential marked used, no replay', async () => {
    const cx = cxWith();
    const flow = newFlow();
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    const before = tap.sent.length;
    const view = await ask(smsMethod, cx, alice, creds, flow);
    assert.equal(view.partial, 'phone/verify');
    assert.equal(view.data.canEnter, true);
    assert.equal(view.data.sentTo, '+81 ••• •••• 78');
    assert.equal(view.data.problem, undefined);
    const again = await smsMethod.challenge(cx, alice, creds, flow);
    assert.equal(again.data.canEnter, true);
    assert.equal(tap.sent.length, before + 1, 'showing the page again does not send again');
    const msg = await lastTo('+819012345678');
    assert.equal(msg.channel, 'sms');
    const row = (await outbox({ recipient: '+819012345678' })).at(-1);
    assert.equal(row.purpose, 'signin.code');

    const r = await smsMethod.verify(cx, alice, creds, flow, { code: codeOf(msg) });
    assert.deepEqual(r, { ok: true, credentialId: aliceMobile.id, amr: ['sms'] });
    const used = (await listCredentials(db, alice.id)).find((c) => c.id === aliceMobile.id)!;
    assert.equal(used.lastUsedAt?.getTime(), clock.now().getTime());
    assert.deepEqual(await smsMethod.verify(cx, alice, creds, flow, { code: codeOf(msg) }), {
      ok: false,
      error: 'phone.codeExpired',
      counted: false,
    });
  });

  it('signs in with a call: amr tel, to the phone the user picks', async () => {
    const cx = cxWith();
    const flow = newFlow();
    const creds = credentialsFor(voiceMethod, await listCredentials(db, alice.id));
    const view = await ask(voiceMethod, cx, alice, creds, flow);
    assert.equal(view.data.sentToId, aliceMobile.id, 'the mobile first');
    assert.equal((view.data.phones as unknown[]).length, 2);
    clock.advance(30_000); // "send again" waits 30 s
    const r = await voiceMethod.verify(cx, alice, creds, flow, { resend: '1', phone: aliceLandline.id });
    assert.deepEqual(r, {
      ok: false,
      error: 'phone.codeResent',
      counted: false,
      params: { number: '+81 ••• •••• 78' },
      step: true,
    });
    const call = await lastTo('+81312345678');
    assert.equal(call.channel, 'voice');
    const ok = await voiceMethod.verify(cx, alice, creds, flow, { code: codeOf(call) });
    assert.deepEqual(ok, { ok: true, credentialId: aliceLandline.id, amr: ['tel'] });
  });

  it('a code expires after 10 minutes', async () => {
    const cx = cxWith();
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    const early = newFlow();
    await ask(smsMethod, cx, alice, creds, early);
    const earlyCode = codeOf(await lastTo('+819012345678'));
    const late = newFlow();
    await ask(smsMethod, cx, alice, creds, late);
    const lateCode = codeOf(await lastTo('+819012345678'));
    clock.advance(10 * MIN - 1);
    assert.equal(
      (await smsMethod.verify(cx, alice, creds, early, { code: earlyCode })).ok,
      true,
      'good at 9:59.999',
    );
    clock.advance(1);
    assert.deepEqual(await smsMethod.verify(cx, alice, creds, late, { code: lateCode }), {
      ok: false,
      error: 'phone.codeExpired',
      counted: false,
    });
    const view = await ask(smsMethod, cx, alice, creds, late);
    assert.equal(view.data.canEnter, true, 'the page sends a fresh code once the old one expired');
    assert.equal(
      (await smsMethod.verify(cx, alice, creds, late, { code: codeOf(await lastTo('+819012345678')) })).ok,
      true,
    );
  });

  it('wrong codes count across new codes: the fifth blocks the method for the flow', async () => {
    const cx = cxWith();
    const flow = newFlow();
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    await ask(smsMethod, cx, alice, creds, flow);
    let code = codeOf(await lastTo('+819012345678'));
    const wrong = () => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual(await smsMethod.verify(cx, alice, creds, flow, { code: wrong() }), {
        ok: false,
        error: 'phone.codeInvalidSms',
        params: { remaining: 5 - i },
      });
    }
    assert.deepEqual(
      await smsMethod.verify(cx, alice, creds, flow, { code: '12345' }),
      { ok: false, error: 'phone.codeFormat', counted: false },
      'not counted',
    );
    clock.advance(30_000); // "send again" waits 30 s
    assert.equal((await smsMethod.verify(cx, alice, creds, flow, { resend: '1' })).ok, false);
    code = codeOf(await lastTo('+819012345678'));
    assert.deepEqual(
      await smsMethod.verify(cx, alice, creds, flow, { code: wrong() }),
      {
        ok: false,
        error: 'phone.codeInvalidSms',
        params: { remaining: 1 },
      },
      'the new code kept the count',
    );
    assert.deepEqual(await smsMethod.verify(cx, alice, creds, flow, { code: wrong() }), {
      ok: false,
      error: 'phone.tooMany',
      exhausted: true,
    });
    assert.deepEqual(
      await smsMethod.verify(cx, alice, creds, flow, { code }),
      { ok: false, error: 'phone.tooMany', exhausted: true },
      'even the right code',
    );
    const sentBefore = tap.sent.length;
    const view = await smsMethod.challenge(cx, alice, creds, flow);
    assert.equal(view.data.problem, 'phone.tooMany');
    assert.equal(view.data.canEnter, false);
    const resend = await smsMethod.verify(cx, alice, creds, flow, { resend: '1' });
    assert.deepEqual(resend, { ok: false, error: 'phone.tooMany', exhausted: true });
    assert.equal(tap.sent.length, sentBefore, 'no more codes for this flow');
    // Another method of the same flow keeps its own count.
    const voiceCreds = credentialsFor(voiceMethod, await listCredentials(db, alice.id));
    assert.equal((await ask(voiceMethod, cx, alice, voiceCreds, flow)).data.canEnter, true);
  });

  it('a code is good only in the flow that asked for it', async () => {
    const cx = cxWith();
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    const a = newFlow();
    const b = newFlow();
    await ask(smsMethod, cx, alice, creds, a);
    const codeA = codeOf(await lastTo('+819012345678'));
    assert.deepEqual(
      await smsMethod.verify(cx, alice, creds, b, { code: codeA }),
      { ok: false, error: 'phone.codeExpired', counted: false },
      'b has no code',
    );
    await ask(smsMethod, cx, alice, creds, b);
    const codeB = codeOf(await lastTo('+819012345678'));
    if (codeA !== codeB) {
      const r = await smsMethod.verify(cx, alice, creds, b, { code: codeA });
      assert.equal(r.ok, false, "a's code is refused in b");
    }
    assert.equal((await smsMethod.verify(cx, alice, creds, a, { code: codeA })).ok, true);
    // Another user's code in the same flow id is refused too.
    const bobPhone = await addPhone(bob, jpMobile(2));
    assert.deepEqual(await smsMethod.verify(cx, bob, [bobPhone], b, { code: codeB }), {
      ok: false,
      error: 'phone.codeExpired',
      counted: false,
    });
    assert.equal((await smsMethod.verify(cx, alice, creds, b, { code: codeB })).ok, true);
  });

  it('keeps no code in plain text in the database', async () => {
    assert.ok(issued.length >= 10);
    const rows = await db('challenges').select('*');
    const hashes = rows.map((r: any) => r.code_hash).filter(Boolean);
    assert.ok(hashes.length >= 10);
    for (const h of hashes) assert.match(h, /^[A-Za-z0-9_-]{43}$/, 'an HMAC-SHA256, base64url');
    const text = JSON.stringify(rows.map(({ code_hash: _h, ...r }: any) => r));
    for (const code of issued) assert.ok(!text.includes(code), 'code found in a challenge row');
    assert.ok(
      !JSON.stringify(await db('counters')).includes('9012345678'),
      'limits are keyed by an HMAC, not the number',
    );
  });

  it('the reset flow sends a code only after the whole number is typed and matches', async () => {
    const cx = cxWith();
    const flow = newFlow('reset');
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    const sentBefore = tap.sent.length;
    const pre = smsMethod.resetPrecheck!.view(cx, alice, creds, flow);
    assert.equal(pre.partial, 'phone/confirm');
    assert.deepEqual(pre.data.hints, ['+81 ••• •••• 78']);
    const shown = await smsMethod.challenge(cx, alice, creds, flow);
    assert.equal(shown.partial, 'phone/confirm', 'no code before the number matched');
    assert.deepEqual(
      await smsMethod.resetPrecheck!.submit(cx, alice, creds, flow, {
        number: '090-1234-5679',
        country: 'JP',
      }),
      {
        ok: false,
        error: 'phone.numberMismatch',
      },
    );
    assert.deepEqual(
      await smsMethod.resetPrecheck!.submit(cx, alice, creds, flow, {
        number: '03-1234-5678',
        country: 'JP',
      }),
      {
        ok: false,
        error: 'phone.numberMismatch',
      },
      'texts go to the mobile only',
    );
    assert.equal(tap.sent.length, sentBefore, 'nothing sent on a mismatch');
    assert.deepEqual(
      await smsMethod.resetPrecheck!.submit(cx, alice, creds, flow, {
        number: '+81 (90) 1234-5678',
        country: 'US',
      }),
      { ok: true },
    );
    const view = await ask(smsMethod, cx, alice, creds, flow);
    assert.equal(view.partial, 'phone/verify');
    const msg = await lastTo('+819012345678');
    assert.equal(
      (await db('outbox').where({ recipient: '+819012345678' }).orderBy('id', 'desc').first()).purpose,
      'reset.code',
    );
    assert.equal((await smsMethod.verify(cx, alice, creds, flow, { code: codeOf(msg) })).ok, true);
  });

  it('confirmNumberAndSend: a match sends by the chosen channel; an unknown user gets the mismatch answer and nothing is sent', async () => {
    const cx = cxWith();
    const creds = credentialsFor(voiceMethod, await listCredentials(db, alice.id));
    const flow = newFlow('reset');
    const r = await confirmNumberAndSend(cx, alice, creds, flow, '03 1234 5678', 'JP', 'voice');
    assert.equal(r.ok, true);
    assert.equal((r as { view: MethodView }).view.partial, 'phone/verify');
    const call = await lastTo('+81312345678');
    assert.equal(call.channel, 'voice');
    assert.deepEqual(await voiceMethod.verify(cx, alice, creds, flow, { code: codeOf(call) }), {
      ok: true,
      credentialId: aliceLandline.id,
      amr: ['tel'],
    });

    const sentBefore = tap.sent.length;
    const outboxBefore = (await outbox()).length;
    const unknown = await confirmNumberAndSend(cx, null, [], newFlow('reset'), '090-1234-5678', 'JP');
    const known = await confirmNumberAndSend(
      cx,
      alice,
      credentialsFor(smsMethod, creds),
      newFlow('reset'),
      '090-9999-0000',
      'JP',
    );
    assert.equal(unknown.ok, false);
    assert.equal(known.ok, false);
    assert.equal((unknown as { error: string }).error, (known as { error: string }).error);
    assert.equal(
      (unknown as { view: MethodView }).view.partial,
      (known as { view: MethodView }).view.partial,
    );
    assert.equal(tap.sent.length, sentBefore);
    assert.equal((await outbox()).length, outboxBefore);
  });

  it('a failed send says so, leaves no code waiting, and offers nothing to type', async () => {
    const cx = cxWith();
    const creds = credentialsFor(smsMethod, await listCredentials(db, alice.id));
    const flow = newFlow();
    tap.failing.add('sms');
    try {
      const view = await ask(smsMethod, cx, alice, creds, flow);
      assert.equal(view.data.problem, 'phone.smsFailed');
      assert.equal(view.data.canEnter, false);
      assert.deepEqual(await smsMethod.verify(cx, alice, creds, flow, { code: '123456' }), {
        ok: false,
        error: 'phone.codeExpired',
        counted: false,
      });
      const live = await db('challenges').where({ flow }).whereNull('consumed_at');
      assert.equal(live.length, 0, 'the unsent code was withdrawn');
      const en = translator('en')('phone.smsFailed');
      assert.match(en, /couldn't send a text message/);
      assert.match(en, /another method/);
    } finally {
      tap.failing.delete('sms');
    }
    const voiceCreds = credentialsFor(voiceMethod, await listCredentials(db, alice.id));
    assert.equal(
      (await ask(voiceMethod, cx, alice, voiceCreds, flow)).data.canEnter,
      true,
      'calls still work',
    );
  });

  // ---- limits ------------------------------------------------------------------------------------

  /** Starts a sign-in challenge in a fresh flow: whether a code was sent, and the problem if not. */
  async function signInSend(cx: MethodContext, user: User, phone: Credential, via: 'sms' | 'voice' = 'sms') {
    const m = via === 'sms' ? smsMethod : voiceMethod;
    const view = await ask(m, cx, user, [phone], newFlow());
    return {
      sent: view.data.canEnter === true,
      problem: view.data.problem as string | undefined,
      params: view.data.problemParams,
    };
  }

  it('the sixth text to one number within an hour is refused; it works again an hour later', async () => {
    clock.advance(2 * HOUR);
    const carol = await userOf('carol');
    const phone = await addPhone(carol, jpMobile(10));
    const cx = cxWith({ policy: { ...loose, phoneSendsPerNumberPerHour: 5 } });
    for (let i = 1; i <= 5; i++) {
      assert.deepEqual(
        await signInSend(cx, carol, phone, i % 2 ? 'sms' : 'voice'),
        { sent: true, problem: undefined, params: undefined },
        `send ${i}`,
      );
      clock.advance(MIN);
    }
    const before = (await outbox({ recipient: jpMobile(10) })).length;
    assert.equal(before, 5, 'texts and calls to the number count together');
    const sixth = await signInSend(cx, carol, phone);
    assert.deepEqual(sixth, { sent: false, problem: 'phone.limitNumber', params: { minutes: 55 } });
    assert.match(translator('en')('phone.limitNumber', { minutes: 55 }), /55 minutes, or use another method/);
    assert.equal((await outbox({ recipient: jpMobile(10) })).length, 5, 'nothing sent');
    clock.advance(55 * MIN);
    assert.equal((await signInSend(cx, carol, phone)).sent, true, 'a new hour, a new allowance');
  });

  it('per-IP limit: texts to many accounts from one address stop at the limit, other addresses go on', async () => {
    clock.advance(2 * HOUR);
    const cx = cxWith({ policy: { ...loose, phoneSendsPerIpPerHour: 3 }, ip: '198.51.100.7' });
    const users: Array<[User, Credential]> = [];
    for (let i = 0; i < 4; i++) {
      const u = await userOf(`ip-user-${i}`);
      users.push([u, await addPhone(u, jpMobile(100 + i))]);
    }
    for (let i = 0; i < 3; i++) assert.equal((await signInSend(cx, ...users[i])).sent, true);
    const refused = await signInSend(cx, ...users[3]);
    assert.equal(refused.problem, 'phone.limitIp');
    assert.equal((await outbox({ recipient: jpMobile(103) })).length, 0);
    // All or nothing: the refused send used up none of the number's allowance.
    const numberKey = `phone:number:${box.hmac('rate-limit-key', jpMobile(103))}`;
    assert.equal((await db('counters').where({ key: numberKey })).length, 0);
    const other = cxWith({ policy: { ...loose, phoneSendsPerIpPerHour: 3 }, ip: '198.51.100.8' });
    assert.equal((await signInSend(other, ...users[3])).sent, true);
  });

  it('per-account limit: an account cannot text an endless list of numbers while enrolling', async () => {
    clock.advance(2 * HOUR);
    const dave = await userOf('dave');
    const cx = cxWith({ policy: { ...loose, phoneSendsPerAccountPerHour: 3 } });
    const flow = newFlow('enroll');
    for (let i = 0; i < 3; i++) {
      const r = await smsMethod.enroll.finish(cx, dave, flow, {
        number: nationalOf(jpMobile(200 + i)),
        country: 'JP',
        type: 'mobile',
      });
      assert.equal((r as { error: string }).error, 'phone.codeSent');
    }
    const r = await smsMethod.enroll.finish(cx, dave, flow, {
      number: nationalOf(jpMobile(203)),
      country: 'JP',
      type: 'mobile',
    });
    assert.deepEqual(r, { ok: false, error: 'phone.limitAccount', params: { minutes: 60 } });
    assert.equal((await outbox({ recipient: jpMobile(203) })).length, 0);
  });

  it('the hourly budget pauses texts and calls and emails the administrators once per pause', async () => {
    clock.advance(2 * HOUR);
    await userOf('root', { email: 'root@example.com', roles: ['admin'] });
    await userOf('root2', { roles: ['admin'] });
    await userOf('helper', { email: 'helper@example.com', roles: ['helpdesk'] });
    const cx = cxWith({ policy: { ...loose, phoneHourlyBudget: 3 } });
    const pairs: Array<[User, Credential]> = [];
    for (let i = 0; i < 6; i++) {
      const u = await userOf(`budget-${i}`);
      pairs.push([u, await addPhone(u, jpMobile(300 + i))]);
    }
    for (let i = 0; i < 3; i++)
      assert.equal((await signInSend(cx, ...pairs[i], i ? 'voice' : 'sms')).sent, true);
    const alerts = () => outbox({ purpose: 'alert.phone_budget' });
    assert.equal((await alerts()).length, 0, 'no alert while within the budget');
    assert.equal((await signInSend(cx, ...pairs[3])).problem, 'phone.paused');
    assert.equal((await signInSend(cx, ...pairs[4], 'voice')).problem, 'phone.paused', 'calls pause too');
    assert.equal((await outbox({ recipient: jpMobile(303) })).length, 0);
    await deliverQueuedNotices(cx);
    let mail = await alerts();
    assert.equal(mail.length, 1, 'one alert per pause');
    assert.equal(mail[0].recipient, 'root@example.com', 'administrators with an email only');
    assert.equal(mail[0].channel, 'email');
    assert.match(mail[0].subject, /paused/);
    assert.match(mail[0].body_text, /3 text messages and phone calls/);
    assert.match(mail[0].body_html, /<a href="http:\/\/localhost:3000\/admin\/">/);
    // Another instance seeing the pause does not alert again.
    const cx2 = cxWith({ policy: { ...loose, phoneHourlyBudget: 3 }, ip: '203.0.113.9' });
    assert.equal((await signInSend(cx2, ...pairs[5])).problem, 'phone.paused');
    await deliverQueuedNotices(cx2);
    assert.equal((await alerts()).length, 1);

    clock.advance(HOUR);
    assert.equal((await signInSend(cx, ...pairs[3])).sent, true, 'the next hour has a new budget');
    for (let i = 0; i < 2; i++) await signInSend(cx, ...pairs[4]);
    assert.equal((await signInSend(cx, ...pairs[5])).problem, 'phone.paused');
    await deliverQueuedNotices(cx);
    mail = await alerts();
    assert.equal(mail.length, 2, 'a new pause, a new alert');
  });

  it('limits hold across two instances sharing one database, even when they send at the same moment', async () => {
    clock.advance(2 * HOUR);
    const other = usingPostgres ? tdb.connect() : db;
    const eve = await userOf('eve');
    const phone = await addPhone(eve, jpMobile(400));
    const policy = { ...loose, phoneSendsPerNumberPerHour: 5 };
    const a = cxWith({ policy, ip: '192.0.2.10' });
    const b = cxWith({ policy, ip: '192.0.2.11', db: other });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signInSend(i % 2 ? b : a, eve, phone)),
    );
    assert.equal(results.filter((r) => r.sent).length, 5, JSON.stringify(results));
    assert.ok(results.filter((r) => !r.sent).every((r) => r.problem === 'phone.limitNumber'));
    assert.equal((await outbox({ recipient: jpMobile(400) })).length, 5);
    assert.equal((await signInSend(b, eve, phone)).problem, 'phone.limitNumber');
    if (!usingPostgres)
      console.log(
        '# note: PGlite has one handle; two contexts share it (run with TEST_DATABASE_URL for two pools)',
      );
  });
});

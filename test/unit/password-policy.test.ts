import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  checkPassword,
  codePointLength,
  MAX_PASSWORD_LENGTH,
  PASSWORD_REASON_CODES,
  type PasswordContext,
  type PasswordReasonCode,
  preloadPasswordChecker,
} from '../../src/policy/password.ts';

// Strong enough for zxcvbn and free of any name used below, so each test sees only the rule it exercises.
const STRONG = 'vq7#Lp2!zR9wKd';

async function codes(password: string, ctx?: PasswordContext): Promise<PasswordReasonCode[]> {
  return (await checkPassword(password, ctx)).reasons.map((r) => r.code);
}

before(async () => {
  await preloadPasswordChecker();
});

describe('codePointLength', () => {
  test('counts code points, not UTF-16 units', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('😀'), 1);
    assert.equal('😀'.length, 2);
    assert.equal(codePointLength('日本語'), 3);
    assert.equal(codePointLength('a😀b𠮷c'), 5);
    // a skin-tone modifier and a combining accent are code points of their own
    assert.equal(codePointLength('👍🏽'), 2);
    assert.equal(codePointLength('e\u0301'), 2);
    // a lone surrogate is one code point, as in [...s]
    assert.equal(codePointLength('a\ud800b'), 3);
    assert.equal(codePointLength('\udc00\ud800'), 2);
  });
});

describe('length', () => {
  test('seven emoji are too short, with the minimum as a parameter', async () => {
    const pw = '🐱🐶🦊🐻🐼🐨🐯';
    assert.equal(pw.length, 14);
    const verdict = await checkPassword(pw);
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.reasons, [{ code: 'password.too_short', params: { min: 8 } }]);
  });

  test('eight kanji are long enough', async () => {
    assert.deepEqual(await checkPassword('春夏秋冬東西南北'), { ok: true, reasons: [] });
  });

  test('exactly the minimum passes and the minimum comes from the policy', async () => {
    assert.deepEqual(await checkPassword('Xk7#qL2m'), { ok: true, reasons: [] });
    assert.deepEqual((await checkPassword('Xk7#qL2m', { minLength: 12 })).reasons, [
      { code: 'password.too_short', params: { min: 12 } },
    ]);
    assert.deepEqual(await checkPassword('Xk7#qL2m-9wZp', { minLength: 12 }), { ok: true, reasons: [] });
  });

  test('the empty password is too short and nothing else', async () => {
    assert.deepEqual(await codes(''), ['password.too_short']);
  });

  test('256 code points pass, 257 are too long, counted in code points', async () => {
    assert.equal(MAX_PASSWORD_LENGTH, 256);
    const emoji = [
      '🍎',
      '🍐',
      '🍊',
      '🍋',
      '🍌',
      '🍉',
      '🍇',
      '🍓',
      '🫐',
      '🍈',
      '🍒',
      '🍑',
      '🥭',
      '🍍',
      '🥥',
      '🥝',
    ];
    const long = Array.from({ length: 257 }, (_, i) => emoji[(i * 7 + (i >> 4)) % emoji.length]).join('');
    const max = [...long].slice(0, 256).join('');
    assert.equal(max.length, 512);
    assert.ok(!(await codes(max)).includes('password.too_long'));
    const verdict = await checkPassword(long);
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.reasons, [{ code: 'password.too_long', params: { max: 256 } }]);
    assert.deepEqual(await codes(`${STRONG}${'x'.repeat(257 - STRONG.length)}`), ['password.too_long']);
  });

  test('the minimum must be within the policy range', async () => {
    await assert.rejects(checkPassword(STRONG, { minLength: 7 }), RangeError);
    await assert.rejects(checkPassword(STRONG, { minLength: 257 }), RangeError);
    await assert.rejects(checkPassword(STRONG, { minLength: 9.5 }), RangeError);
  });
});

describe('common and guessable passwords', () => {
  test('passwords on the common list are refused, whatever their case or width', async () => {
    for (const pw of [
      'password1',
      'qwertyuiop',
      'PASSWORD1',
      'QwertyUiop',
      'ｐａｓｓｗｏｒｄ１',
      'iloveyou',
      '1qaz2wsx',
    ]) {
      assert.deepEqual(await codes(pw), ['password.common'], pw);
    }
  });

  test('passwords made of words, names, dates and keyboard patterns are refused', async () => {
    for (const pw of ['Summer2024!', 'P@ssw0rd!', 'sakura2020', 'akihiro1985', 'aaaaaaaaaaa', 'abcdefgh1']) {
      assert.deepEqual(await codes(pw), ['password.guessable'], pw);
    }
  });

  test('a strong random passphrase and a random password are accepted', async () => {
    assert.deepEqual(await checkPassword('glacier-mosaic-turnip-velvet'), { ok: true, reasons: [] });
    assert.deepEqual(await checkPassword('tiger-plum-oak-lantern'), { ok: true, reasons: [] });
    assert.deepEqual(await checkPassword(STRONG), { ok: true, reasons: [] });
  });
});

describe('personal information', () => {
  test('the login is refused whatever its case or width', async () => {
    const ctx = { login: 'alice' };
    for (const pw of [
      'xz-alice-vortex-93',
      'xz-ALICE-vortex-93',
      'xz-AlIcE-vortex-93',
      'xz-ＡＬＩＣＥ-vortex-93',
    ]) {
      assert.deepEqual(await codes(pw, ctx), ['password.contains_login'], pw);
    }
    assert.deepEqual(await codes('xz-alice-vortex-93', { login: 'ＡＬＩＣＥ' }), ['password.contains_login']);
    assert.deepEqual(await codes('xz-alice-vortex-93', { login: 'bob' }), []);
  });

  test('an email login is refused whole, by its local part and by the words of its local part', async () => {
    const ctx = { login: 'j.tanaka@example.jp' };
    assert.deepEqual(await codes('zq-j.tanaka@example.jp-91', ctx), ['password.contains_login']);
    assert.deepEqual(await codes('zq-J.Tanaka-vortex-91', ctx), ['password.contains_login']);
    assert.deepEqual(await codes('zq-ＴＡＮＡＫＡ-vortex-91', ctx), ['password.contains_login']);
    // the domain is not personal
    assert.deepEqual(await codes('zq-example-vortex-91', ctx), []);
  });

  test('a login shorter than three characters is not looked for', async () => {
    assert.deepEqual(await codes('al-vortex-quill-93', { login: 'al' }), []);
  });

  test('each display-name word of three or more characters is refused', async () => {
    const ctx = { displayName: 'Marie-Claire Dubois' };
    assert.deepEqual(await codes('zq-DUBOIS-vortex-91', ctx), ['password.contains_name']);
    assert.deepEqual(await codes('zq-marie-vortex-91', ctx), ['password.contains_name']);
    assert.deepEqual(await codes('zq-ｃｌａｉｒｅ-vortex-91', ctx), ['password.contains_name']);
    assert.deepEqual(await codes('zq-mar-vortex-dub-91', ctx), []);
    // words of two letters are not looked for alone, the name run together is
    assert.deepEqual(await codes('jo-vortex-li-9384', { displayName: 'Jo Li' }), []);
    assert.deepEqual(await codes('zq-JoLi-vortex-91', { displayName: 'Jo Li' }), ['password.contains_name']);
  });

  test('a Japanese display name is looked for in the password', async () => {
    assert.deepEqual(await codes('瑠璃子の秘密の庭園', { displayName: '山田 瑠璃子' }), [
      'password.contains_name',
    ]);
    assert.deepEqual(await codes('瑠璃色の秘密の庭園', { displayName: '山田 瑠璃子' }), []);
  });

  test('the organization name is refused, with or without its spaces, whatever its case or width', async () => {
    const ctx = { organizationName: 'Acme Corp' };
    assert.deepEqual(await codes('zq-acme corp-vortex-91', ctx), ['password.contains_organization']);
    assert.deepEqual(await codes('zq-ACMECORP-vortex-91', ctx), ['password.contains_organization']);
    assert.deepEqual(await codes('zq-ｔｏｂｉｒａ-vortex-91', { organizationName: 'Tobira' }), [
      'password.contains_organization',
    ]);
    // only the name as a whole: its words are not the organization
    assert.deepEqual(await codes('zq-corp-vortex-91', ctx), []);
    assert.deepEqual(await codes('zq-hp-vortex-quill-91', { organizationName: 'HP' }), []);
  });
});

describe('banned terms', () => {
  test('a banned term is refused after NFKC and case folding; terms under three characters are ignored', async () => {
    const ctx = { bannedTerms: ['Kiefer', 'zq', 'ＨＯＲＩＺＯＮ'] };
    assert.deepEqual(await codes('zq-kIEFER-vortex-91', ctx), ['password.contains_banned_term']);
    assert.deepEqual(await codes('zq-ｋｉｅｆｅｒ-vortex-91', ctx), ['password.contains_banned_term']);
    assert.deepEqual(await codes('zq-horizon-vortex-91', ctx), ['password.contains_banned_term']);
    assert.deepEqual(await codes('zq-kief-vortex-91', ctx), []);
  });

  test('case folding goes beyond lower-casing', async () => {
    assert.deepEqual(await codes('zq-STRASSE-vortex-91', { bannedTerms: ['straße'] }), [
      'password.contains_banned_term',
    ]);
  });
});

describe('history', () => {
  test('a password the callback finds in the history is refused', async () => {
    const seen: string[] = [];
    const isInHistory = async (pw: string) => {
      seen.push(pw);
      return pw === 'Old-Passphrase-9173';
    };
    assert.deepEqual(await codes('Old-Passphrase-9173', { isInHistory }), ['password.reused']);
    assert.deepEqual(await checkPassword(STRONG, { isInHistory }), { ok: true, reasons: [] });
    assert.deepEqual(seen, ['Old-Passphrase-9173', STRONG]);
  });

  test('the callback is not asked about a password too long to have been stored', async () => {
    let calls = 0;
    const isInHistory = async () => {
      calls++;
      return true;
    };
    assert.deepEqual(await codes('x'.repeat(300), { isInHistory }), ['password.too_long']);
    assert.equal(calls, 0);
  });

  test('a failing callback fails the check rather than passing the password', async () => {
    const isInHistory = async (): Promise<boolean> => {
      throw new Error('database down');
    };
    await assert.rejects(checkPassword(STRONG, { isInHistory }), /database down/);
  });
});

describe('verdict', () => {
  test('every failing rule is reported, in the order of the reason codes', async () => {
    const verdict = await checkPassword('alice1', {
      login: 'alice',
      displayName: 'Alice Liddell',
      organizationName: 'Tobira',
      bannedTerms: ['lice'],
      isInHistory: async () => true,
    });
    assert.deepEqual(verdict, {
      ok: false,
      reasons: [
        { code: 'password.too_short', params: { min: 8 } },
        { code: 'password.common' },
        { code: 'password.contains_login' },
        { code: 'password.contains_name' },
        { code: 'password.contains_banned_term' },
        { code: 'password.reused' },
      ],
    });
  });

  test('login, name, organization and banned term together', async () => {
    const ctx: PasswordContext = {
      login: 'hkato@example.com',
      displayName: 'Haruto Kato',
      organizationName: 'Nimbus',
      bannedTerms: ['zephyr'],
    };
    assert.deepEqual(await codes('hkato-HARUTO-nimbus-zephyr-91', ctx), [
      'password.contains_login',
      'password.contains_name',
      'password.contains_organization',
      'password.contains_banned_term',
    ]);
  });

  test('the reason codes are a stable, unique list', () => {
    assert.deepEqual(PASSWORD_REASON_CODES, [
      'password.too_short',
      'password.too_long',
      'password.common',
      'password.guessable',
      'password.contains_login',
      'password.contains_name',
      'password.contains_organization',
      'password.contains_banned_term',
      'password.reused',
    ]);
    assert.equal(new Set(PASSWORD_REASON_CODES).size, PASSWORD_REASON_CODES.length);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinAppName } from '../../src/flows/app-names.ts';
import { timeHtml } from '../../src/http/views.ts';
import { en } from '../../src/i18n/en/index.ts';
import { translator } from '../../src/i18n/index.ts';
import { EN_ONE } from '../../src/i18n/plurals.ts';

describe('wording', () => {
  const t = translator('en');

  it('uses the English singular when the number is one, the plural otherwise', () => {
    assert.equal(t('password.too_short', { min: 1 }), 'Use at least 1 character.');
    assert.equal(t('password.too_short', { min: 8 }), 'Use at least 8 characters.');
    assert.match(t('phone.codeInvalidSms', { remaining: 1 }), /\(1 try left\)/);
    assert.match(t('phone.codeInvalidSms', { remaining: 2 }), /\(2 tries left\)/);
    assert.match(translator('ja')('phone.codeInvalidSms', { remaining: 1 }), /1/);
    assert.doesNotMatch(translator('ja')('phone.codeInvalidSms', { remaining: 1 }), /try left/);
  });

  it('has a singular form only for keys that exist, naming a parameter the message uses', () => {
    for (const [key, one] of Object.entries(EN_ONE)) {
      assert.ok(key in en, key);
      assert.ok(
        (en as Record<string, string>)[key].includes(`{${one!.param}}`),
        `${key} uses {${one!.param}}`,
      );
      assert.ok(!one!.text.includes(`{${one!.param}}`), `${key}: the singular spells the number out`);
    }
  });

  it('names the built-in applications after the organization, in the reader’s language', () => {
    assert.equal(builtinAppName('tobira-portal', t, 'Acme'), 'Acme account');
    assert.equal(builtinAppName('tobira-demo', translator('ja'), 'Acme'), 'Acme デモ');
    assert.equal(builtinAppName('someone-else', t, 'Acme'), undefined);
  });

  it('writes times with their zone, escaped, as <time> the browser can localize', () => {
    const at = new Date('2026-11-30T23:05:00Z');
    assert.equal(
      timeHtml(at, 'en', 'Asia/Tokyo'),
      '<time datetime="2026-11-30T23:05:00.000Z" data-local="time">Dec 1, 2026, 08:05 AM GMT+9</time>',
    );
    assert.equal(
      timeHtml(at, 'ja', 'UTC', 'date'),
      '<time datetime="2026-11-30T23:05:00.000Z" data-local="date">2026年11月30日</time>',
    );
    assert.equal(timeHtml(null, 'en'), '');
    assert.equal(timeHtml('not a date', 'en'), '');
  });
});

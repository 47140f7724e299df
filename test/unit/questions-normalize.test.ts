import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANSWER_MAX,
  ANSWER_MIN,
  checkAnswer,
  normalizeAnswer,
} from '../../src/methods/questions/normalize.ts';

const same = (a: string, b: string) =>
  assert.equal(
    normalizeAnswer(a),
    normalizeAnswer(b),
    `${JSON.stringify(a)} should match ${JSON.stringify(b)}`,
  );
const different = (a: string, b: string) =>
  assert.notEqual(
    normalizeAnswer(a),
    normalizeAnswer(b),
    `${JSON.stringify(a)} must not match ${JSON.stringify(b)}`,
  );

describe('security question answers: normalization', () => {
  it('ignores case, full-width forms and surrounding spaces', () => {
    same('Tokyo', ' tokyo ');
    same('Tokyo', 'ＴＯＫＹＯ');
    same('Tokyo', 'TOKYO');
    same('ｔｏｋｙｏ', '  TOKYO\t');
    assert.equal(normalizeAnswer('ＴＯＫＹＯ'), 'tokyo');
  });

  it('treats half-width and full-width katakana alike, voicing marks included', () => {
    same('ﾄｳｷｮｳ', 'トウキョウ');
    same('ｶﾞｯｺｳ', 'ガッコウ');
    same('ﾊﾟﾝ', 'パン');
    assert.equal(normalizeAnswer('ﾄｳｷｮｳ'), 'トウキョウ');
  });

  it('collapses runs of white space, the ideographic space included', () => {
    same('a  b', 'a b');
    same('New   York', 'new york');
    same('山田\u3000太郎', '山田 太郎');
    same('line\nbreak', 'line break');
    assert.equal(normalizeAnswer('  a \t\n b  '), 'a b');
  });

  it('folds case fully (ß and SS) and drops invisible characters', () => {
    same('Straße', 'STRASSE');
    same('zero\u200bwidth', 'zerowidth');
    same('soft\u00adhyphen', 'softhyphen');
  });

  it('composes decomposed accents instead of dropping them', () => {
    same('Zu\u0308rich', 'Zürich');
  });

  it('keeps different answers apart', () => {
    different('Tokyo', 'Kyoto');
    different('ä', 'a');
    different('Zürich', 'Zurich');
    different('とうきょう', 'トウキョウ'); // hiragana and katakana are different ways of writing
    different('東京', 'とうきょう'); // kanji and their reading too
    different('ab c', 'abc'); // a space between words counts; only runs of spaces collapse
    different('1', '１１');
  });
});

describe('security question answers: length', () => {
  it('counts code points after normalization, 3 to 40', () => {
    assert.equal(ANSWER_MIN, 3);
    assert.equal(ANSWER_MAX, 40);
    assert.deepEqual(checkAnswer('ab'), { ok: false, reason: 'too_short' });
    assert.deepEqual(checkAnswer('  ab  '), { ok: false, reason: 'too_short' }, 'trimmed before counting');
    assert.deepEqual(checkAnswer('a    b'), { ok: true, normalized: 'a b' }, 'collapsed before counting');
    assert.equal(checkAnswer('abc').ok, true);
    assert.deepEqual(checkAnswer('x'.repeat(40)), { ok: true, normalized: 'x'.repeat(40) });
    assert.deepEqual(checkAnswer('x'.repeat(41)), { ok: false, reason: 'too_long' });
  });

  it('counts a Japanese character, or one outside the BMP, as one', () => {
    assert.deepEqual(checkAnswer('東京'), { ok: false, reason: 'too_short' });
    assert.equal(checkAnswer('東京都').ok, true);
    assert.equal(checkAnswer('あ'.repeat(40)).ok, true);
    assert.deepEqual(checkAnswer('あ'.repeat(41)), { ok: false, reason: 'too_long' });
    assert.equal(checkAnswer('𠮷'.repeat(40)).ok, true, '40 code points in 80 UTF-16 units');
    assert.deepEqual(checkAnswer('𠮷'.repeat(41)), { ok: false, reason: 'too_long' });
    // Half-width katakana with voicing marks compose: ｶﾞｶﾞ is 4 characters typed, 2 after NFKC.
    assert.deepEqual(checkAnswer('ｶﾞｶﾞ'), { ok: false, reason: 'too_short' });
  });

  it('refuses empty, missing and absurdly long input', () => {
    assert.deepEqual(checkAnswer(''), { ok: false, reason: 'missing' });
    assert.deepEqual(checkAnswer('   '), { ok: false, reason: 'missing' });
    assert.deepEqual(checkAnswer(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(checkAnswer(['abc']), { ok: false, reason: 'missing' });
    assert.deepEqual(checkAnswer('a'.repeat(10_000)), { ok: false, reason: 'too_long' });
  });
});

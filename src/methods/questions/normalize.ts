/*
 * How a security-question answer is compared. Two answers match when they are equal after:
 *   - Unicode NFKC: full-width Latin letters and digits become ordinary ones, half-width katakana
 *     become full-width (with their voicing marks composed), the ideographic space becomes a space;
 *   - case folding: upper-casing before lower-casing also folds letters that lower-casing alone
 *     leaves apart (German ß and SS);
 *   - dropping invisible characters (zero-width spaces, joiners, soft hyphens), which a user cannot
 *     see and so cannot be expected to type again;
 *   - collapsing every run of white space (and control characters) into one space, and trimming.
 *
 * Hiragana and katakana stay different, as do kanji and their readings, and letters with and without
 * diacritics (ä is not a): each of these is a different way of writing, not a different width or case
 * of the same character, and folding them would make answers easier to guess. The registration page
 * tells the user to write their answer the same way each time.
 */

export const ANSWER_MIN = 3;
export const ANSWER_MAX = 40;
/** Longer raw input is refused before any work is done on it. */
const RAW_MAX_UTF16 = 400;

export function normalizeAnswer(raw: string): string {
  return raw
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim();
}

/** Length in code points, as the 3–40 rule counts it (a kanji or an emoji is one). */
export const codePoints = (s: string): number => [...s].length;

export type AnswerCheck =
  | { ok: true; normalized: string }
  | { ok: false; reason: 'missing' | 'too_short' | 'too_long' };

/** Normalizes an answer from a form and checks its length (counted after normalization). */
export function checkAnswer(raw: unknown): AnswerCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'missing' };
  if (raw.length > RAW_MAX_UTF16) return { ok: false, reason: 'too_long' };
  const normalized = normalizeAnswer(raw);
  const n = codePoints(normalized);
  if (n === 0) return { ok: false, reason: 'missing' };
  if (n < ANSWER_MIN) return { ok: false, reason: 'too_short' };
  if (n > ANSWER_MAX) return { ok: false, reason: 'too_long' };
  return { ok: true, normalized };
}

/** Two texts (custom questions) that differ only in case, width or spacing count as the same. */
export const sameText = (a: string, b: string): boolean => normalizeAnswer(a) === normalizeAnswer(b);

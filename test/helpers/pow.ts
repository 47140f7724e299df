import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';

/**
 * Passes the anti-automation check without a browser: solves a challenge from pow.challenge() with
 * altcha-lib's own solver (real work, as the widget does it) and returns what the widget would post in
 * the `altcha` field.
 */
export async function solvePow(challengeJson: string): Promise<string> {
  const challenge = JSON.parse(challengeJson) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 60_000 });
  if (!solution) throw new Error('the proof-of-work challenge was not solved');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** The challenge JSON a page embeds in its <altcha-widget> (views/partials/pow.eta), unescaped. */
export function powChallengeFromHtml(html: string): string {
  const m = /<altcha-widget\b[^>]*?\schallenge="([^"]*)"/.exec(html);
  if (!m) throw new Error('no <altcha-widget challenge="..."> on the page');
  return m[1]
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The `altcha` field value that passes the check on a page rendered with views/partials/pow.eta. */
export function solvePowInPage(html: string): Promise<string> {
  return solvePow(powChallengeFromHtml(html));
}

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIT_RESULTS } from '../../src/flows/admin/service.ts';
import { en } from '../../src/i18n/en/index.ts';
import { ja } from '../../src/i18n/ja/index.ts';

/*
 * Every activity the code records in the audit log has a label in English and Japanese, so the
 * portal's recent activity and the admin audit log never show a raw code such as
 * `signin.second_factor`. The list of activities is read from the source itself: string literals
 * handed to the functions that record an event (audit(...), recordAudit(...), setNewPassword(...)),
 * or assigned to an `activity` field or parameter.
 */

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const CODE = /^[a-z_]+(?:\.[a-z_]+)+$/;
/** Calls whose string arguments are activity codes (the recorders, and the helpers that pass one on). */
const RECORDERS = /\b(?:audit|recordAudit|setNewPassword|changePassword)\(/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'i18n' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** The text of a call's arguments, from its opening parenthesis to the matching one. */
function argumentsAt(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

function literals(s: string): string[] {
  return [...s.matchAll(/'([^'\n]*)'/g)].map((m) => m[1]).filter((x) => CODE.test(x));
}

export function emittedActivities(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(SRC, file);
    for (const m of text.matchAll(RECORDERS)) {
      // Only the call's own arguments, not nested objects' keys: details never hold dotted codes.
      for (const code of literals(argumentsAt(text, m.index + m[0].length - 1))) found.set(code, rel);
    }
    for (const m of text.matchAll(/\bactivity\s*[:=]\s*([^,;\n]+)/g)) {
      for (const code of literals(m[1])) found.set(code, rel);
    }
  }
  return found;
}

describe('activity labels', () => {
  const emitted = emittedActivities();

  it('finds the activities the code records', () => {
    for (const known of [
      'signin.password',
      'signin.second_factor',
      'reset.verify',
      'reset.attempt',
      'security_info.add',
      'admin.policy.update',
      'admin.user.disable',
      'reset.password',
      'password.change_required',
    ]) {
      assert.ok(emitted.has(known), `the scan finds ${known}`);
    }
    assert.ok(emitted.size >= 30, `found ${emitted.size} activities`);
  });

  it('has an English and a Japanese label for every activity that is recorded', () => {
    const missing: string[] = [];
    for (const [code, file] of emitted) {
      const key = `activity.${code}`;
      if (!(key in en)) missing.push(`en ${key} (${file})`);
      else if (!(key in ja) || !(ja as Record<string, string>)[key]) missing.push(`ja ${key} (${file})`);
      else {
        assert.notEqual(
          (ja as Record<string, string>)[key],
          (en as Record<string, string>)[key],
          `${key} is translated`,
        );
      }
    }
    assert.deepEqual(missing, []);
  });

  it('has a label for every result', () => {
    for (const r of AUDIT_RESULTS) {
      assert.ok(`admin.result.${r}` in en && `admin.result.${r}` in ja, r);
    }
  });
});

/**
 * Expand-then-contract: during a rolling upgrade release N and N+1 run against one schema, so a
 * migration's `up` may only add (tables, nullable columns or columns with a default, indexes). Anything
 * that would break the previous release's code (dropping or renaming a table or column, changing a
 * column's type, a new NOT NULL column without a default on an existing table) is a *contract* step:
 * the migration must declare it (`export const contract = ['table', 'table.column']`) and the previous
 * release's code must no longer use those names. This module finds the violations; the unit test
 * test/unit/migration-policy.test.ts runs it over migrations/ and the git history.
 */
import { execFileSync } from 'node:child_process';

export interface Violation {
  file: string;
  problem: string;
}

const DESTRUCTIVE: Array<[RegExp, string]> = [
  [/\.(dropTable|dropTableIfExists)\(\s*['"`]([\w.]+)['"`]/g, 'drops table'],
  [/\.dropColumns?\(\s*['"`]([\w.]+)['"`]/g, 'drops column'],
  [/\.renameColumn\(\s*['"`]([\w.]+)['"`]/g, 'renames column'],
  [/\.renameTable\(\s*['"`]([\w.]+)['"`]/g, 'renames table'],
  [/\.alter\(\s*\)/g, 'alters a column type'],
  [/\b(drop\s+(table|column)|rename\s+(to|column)|alter\s+column\s+\w+\s+(set\s+data\s+)?type)\b/gi, 'raw SQL'],
];

/** The body of `export async function up` (up to `down`, or the end). */
export function upBody(source: string): string {
  const start = source.search(/export\s+(async\s+)?function\s+up\b/);
  if (start < 0) return '';
  const rest = source.slice(start);
  const end = rest.search(/export\s+(async\s+)?function\s+down\b/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Names a migration declares as contracted: `export const contract = ['t', 't.c']`. */
export function declaredContract(source: string): string[] {
  const m = /export\s+const\s+contract\s*(?::[^=]+)?=\s*\[([^\]]*)\]/.exec(source);
  if (!m) return [];
  return [...m[1].matchAll(/['"`]([\w.]+)['"`]/g)].map((x) => x[1]);
}

/** Checks one migration's source on its own (no history needed). */
export function checkMigration(file: string, source: string): Violation[] {
  const up = upBody(source);
  const contract = declaredContract(source);
  const out: Violation[] = [];
  for (const [re, what] of DESTRUCTIVE) {
    for (const m of up.matchAll(re)) {
      const name = m[2] && what === 'drops table' ? m[2] : m[1];
      const declared = contract.length > 0 && (what === 'raw SQL' || what === 'alters a column type' || contract.some((c) => c === name || c.endsWith(`.${name}`)));
      if (!declared) out.push({ file, problem: `${what} (${m[0].trim()}) without declaring it in \`export const contract\`` });
    }
  }
  // New NOT NULL columns on an existing table need a default, or the previous release's inserts fail.
  for (const block of up.matchAll(/alterTable\(\s*['"`](\w+)['"`][\s\S]*?\n\s*\}\);/g)) {
    for (const line of block[0].split('\n')) {
      if (/\.notNullable\(\)/.test(line) && !/\.defaultTo\(/.test(line) && !/\.alter\(/.test(line)) {
        out.push({ file, problem: `adds a NOT NULL column without a default to ${block[1]}: ${line.trim()}` });
      }
    }
  }
  return out;
}

/** The previous release: the newest tag v*, or undefined when nothing has been released yet. */
export function previousRelease(cwd: string): string | undefined {
  try {
    const tags = execFileSync('git', ['tag', '--list', 'v*', '--sort=-v:refname'], { cwd, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    return tags[0];
  } catch {
    return undefined;
  }
}

/** Where the code of `ref` (or the working tree) still names a contracted table or column. */
export function usesOf(cwd: string, names: string[], ref?: string): string[] {
  const hits: string[] = [];
  for (const n of names) {
    const ident = n.split('.').pop()!;
    try {
      const out = execFileSync('git', ['grep', '-n', '-w', '-F', '-e', ident, ...(ref ? [ref] : []), '--', 'src'], {
        cwd,
        encoding: 'utf8',
      });
      if (out.trim()) hits.push(`${n}: ${out.trim().split('\n')[0]}`);
    } catch {
      // git grep exits 1 when nothing matches
    }
  }
  return hits;
}

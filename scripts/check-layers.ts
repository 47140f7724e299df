/**
 * The layering rule (CONTRIBUTING.md), checked on the import graph of src/:
 *
 *   entry points, app/  ─▶ anything
 *   flows/             ─▶ account, methods, policy, security, store, delivery, http, oidc, base;
 *                          of app/ only the contract app/deps.ts; of flows/ only its own folder and the
 *                          shared files directly in flows/
 *   http/              ─▶ account, policy, security, store, delivery, base
 *   oidc/              ─▶ policy, security, store, base
 *   account/           ─▶ methods, policy, security, store, delivery, oidc, base
 *   methods/           ─▶ security, store, delivery, policy, base
 *   delivery/          ─▶ security, store, policy, base
 *   security/          ─▶ policy, store, base
 *   store/             ─▶ policy, base
 *   policy/            ─▶ base
 *   base (cidr, clock, config, errors, logger, secret-key, db/, i18n/) ─▶ base
 *
 * So nothing below flows imports http/, flows/ or app/. And SQL is written only in store/ (and db/, the
 * connection and migrations runner): a Knex query on a table (`db('users')…`) or a raw statement
 * (`.raw('…')`) anywhere else is a violation too, reported with the target `(SQL)`. Type-only imports
 * count: a type is as much a dependency as a value. Known violations are listed in ALLOWED with the reason; the list may only
 * shrink (an entry that no longer occurs is an error too, so it is removed when its import is).
 *
 * Run: `npm run check:layers` (also in .ci/run). Exit status 1 on a violation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Layer =
  | 'entry'
  | 'app'
  | 'flows'
  | 'http'
  | 'oidc'
  | 'account'
  | 'methods'
  | 'delivery'
  | 'security'
  | 'store'
  | 'policy'
  | 'base';

const BASE_FILES = new Set(['cidr.ts', 'clock.ts', 'config.ts', 'errors.ts', 'logger.ts', 'secret-key.ts']);
const BASE_DIRS = new Set(['db', 'i18n']);
const LAYER_DIRS = new Set<Layer>([
  'app',
  'flows',
  'http',
  'oidc',
  'account',
  'methods',
  'delivery',
  'security',
  'store',
  'policy',
]);

const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  entry: ['entry', 'app', 'flows', 'http', 'oidc', 'account', 'methods', 'delivery', 'security', 'store', 'policy', 'base'],
  app: ['app', 'flows', 'http', 'oidc', 'account', 'methods', 'delivery', 'security', 'store', 'policy', 'base'],
  flows: ['flows', 'account', 'methods', 'policy', 'security', 'store', 'delivery', 'http', 'oidc', 'base'],
  http: ['http', 'account', 'policy', 'security', 'store', 'delivery', 'base'],
  oidc: ['oidc', 'policy', 'security', 'store', 'base'],
  account: ['account', 'methods', 'policy', 'security', 'store', 'delivery', 'oidc', 'base'],
  methods: ['methods', 'security', 'store', 'delivery', 'policy', 'base'],
  delivery: ['delivery', 'security', 'store', 'policy', 'base'],
  security: ['security', 'policy', 'store', 'base'],
  store: ['store', 'policy', 'base'],
  policy: ['policy', 'base'],
  base: ['base'],
};

/** Imports that break the rule today, each with the reason; this list must only get shorter. */
export const ALLOWED: ReadonlyArray<{ from: string; to: string; why: string }> = [];

export interface Violation {
  from: string;
  to: string;
  problem: string;
}

/** The layer of a path relative to src/ (posix separators). */
export function layerOf(rel: string): Layer {
  const [head, ...rest] = rel.split('/');
  if (rest.length === 0) return BASE_FILES.has(head) ? 'base' : head === 'app.ts' ? 'app' : 'entry';
  if (BASE_DIRS.has(head)) return 'base';
  if (LAYER_DIRS.has(head as Layer)) return head as Layer;
  return 'entry';
}

/** Relative module specifiers a TypeScript source imports or re-exports (static and dynamic). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) {
    const spec = m[1] ?? m[2];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

function problemOf(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (a === 'flows' && b === 'app') return to === 'app/deps.ts' ? undefined : 'flows/ may import only app/deps.ts of app/';
  if (!MAY_IMPORT[a].includes(b)) return `${a}/ may not import ${b === 'base' ? to : `${b}/`}`;
  if (a === 'flows' && b === 'flows') {
    const fa = from.split('/');
    const fb = to.split('/');
    // Shared files directly in flows/ are open to every flow; a flow's folder is its own.
    if (fb.length > 2 && fa.length > 2 && fa[1] !== fb[1]) return `flows/${fa[1]} imports flows/${fb[1]}`;
    if (fb.length > 2 && fa.length === 2) return `flows/${fa[1]} (shared) imports flows/${fb[1]}`;
  }
  return undefined;
}

/** A Knex query on a named table, or a raw statement: what only store/ (and db/) may write. */
const SQL = /\b(?:db|trx|tx|knex|k|d)\s*\(\s*['"][a-z_]+['"]\s*\)|\.raw\(\s*['"`]/;

/** Whether a file at `rel` (relative to src/) writing `source` breaks "all SQL lives in store/". */
export function writesSqlOutsideStore(rel: string, source: string): boolean {
  const [head] = rel.split('/');
  if (head === 'store' || head === 'db') return false;
  return SQL.test(source);
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every import in `srcDir` that breaks the rule, minus `allowed`, plus allowed entries that no longer occur. */
export function checkLayers(srcDir: string, allowed = ALLOWED): Violation[] {
  const found: Violation[] = [];
  for (const file of listTs(srcDir).sort()) {
    const from = path.relative(srcDir, file).split(path.sep).join('/');
    const source = fs.readFileSync(file, 'utf8');
    if (writesSqlOutsideStore(from, source)) {
      found.push({ from, to: '(SQL)', problem: 'only store/ writes SQL: move the query into a store/ module' });
    }
    for (const spec of importsOf(source)) {
      const target = path.relative(srcDir, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
      if (target.startsWith('..')) continue;
      const problem = problemOf(from, target);
      if (problem) found.push({ from, to: target, problem });
    }
  }
  const key = (v: { from: string; to: string }) => `${v.from} -> ${v.to}`;
  const allowedKeys = new Set(allowed.map(key));
  const foundKeys = new Set(found.map(key));
  return [
    ...found.filter((v) => !allowedKeys.has(key(v))),
    ...allowed
      .filter((a) => !foundKeys.has(key(a)))
      .map((a) => ({ from: a.from, to: a.to, problem: 'allowed but no longer imported: remove it from ALLOWED' })),
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const srcDir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../src'));
  const violations = checkLayers(srcDir);
  for (const v of violations) console.error(`${v.from} -> ${v.to}: ${v.problem}`);
  if (violations.length) {
    console.error(`${violations.length} layering violation(s); the rule is in scripts/check-layers.ts`);
    process.exit(1);
  }
  console.log(`layers: ok (${ALLOWED.length} allowed exception(s) left)`);
}

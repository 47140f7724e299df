import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkLayers, importsOf, layerOf, writesSqlOutsideStore } from '../../scripts/check-layers.ts';

/**
 * The layering rule (scripts/check-layers.ts, CONTRIBUTING.md) is enforced in CI. Here it is shown to
 * catch what it must on a fixture tree with known violations, and the real tree is shown clean but for
 * the listed exceptions.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(HERE, '../fixtures/layers/src');
const SRC = path.join(HERE, '../../src');

describe('layering check', () => {
  it('catches a lower layer importing http/, a flow importing the root or another flow, type-only imports, and SQL outside store/', () => {
    const found = checkLayers(FIXTURE, []).map((v) => `${v.from} -> ${v.to}`);
    assert.deepEqual(found.sort(), [
      'flows/a/routes.ts -> app/container.ts',
      'flows/a/routes.ts -> flows/b/routes.ts',
      'flows/b/report.ts -> (SQL)',
      'methods/code.ts -> flows/a/routes.ts',
      'security/limits.ts -> http/render.ts',
    ]);
  });

  it('an allowed exception is not reported, and one that no longer occurs is (the list only shrinks)', () => {
    const allowed = [
      { from: 'security/limits.ts', to: 'http/render.ts', why: 'test' },
      { from: 'store/gone.ts', to: 'http/render.ts', why: 'test' },
    ];
    const found = checkLayers(FIXTURE, allowed);
    assert.ok(!found.some((v) => v.from === 'security/limits.ts'));
    const stale = found.find((v) => v.from === 'store/gone.ts');
    assert.match(stale?.problem ?? '', /no longer imported/);
  });

  it('reads static, re-exported, type-only and dynamic imports; layers by folder', () => {
    const src = [
      "import a from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "import fs from 'node:fs';",
    ].join('\n');
    assert.deepEqual(importsOf(src), ['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts']);
    assert.equal(layerOf('methods/phone/index.ts'), 'methods');
    assert.equal(layerOf('i18n/en/index.ts'), 'base');
    assert.equal(layerOf('clock.ts'), 'base');
    assert.equal(layerOf('main.ts'), 'entry');
  });

  it('knows SQL by a Knex query on a table or a raw statement, and allows it in store/ and db/ only', () => {
    const query = "const u = await trx('users').where({ id }).first();";
    const raw = 'await db.raw(`select 1`);';
    assert.equal(writesSqlOutsideStore('flows/reset/service.ts', query), true);
    assert.equal(writesSqlOutsideStore('account/password.ts', raw), true);
    assert.equal(writesSqlOutsideStore('store/users.ts', query), false);
    assert.equal(writesSqlOutsideStore('db/migrate.ts', raw), false);
    assert.equal(writesSqlOutsideStore('flows/reset/service.ts', "t('reset.title'); render('x');"), false);
  });

  it('src/ keeps the rule (but for the listed exceptions)', () => {
    assert.deepEqual(checkLayers(SRC), []);
  });
});

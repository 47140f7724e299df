import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkMigration, declaredContract, previousRelease, usesOf } from '../../scripts/migration-policy.ts';

/**
 * Rolling upgrades run release N and N+1 on one schema, so migrations are expand-then-contract. This
 * checks every migration statically (robust in a clean clone: no database, no older checkout needed),
 * and checks a declared contract against the previous release's code (the newest v* tag, read with
 * `git grep` at that tag; before the first release there is no older code to protect).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MIGRATIONS = path.join(ROOT, 'migrations');

describe('migrations are expand-then-contract', () => {
  const files = fs.readdirSync(MIGRATIONS).filter((f) => f.endsWith('.ts'));

  it('no migration drops, renames or retypes without declaring a contract, nor adds a NOT NULL column without a default', () => {
    assert.ok(files.length > 0);
    const problems = files.flatMap((f) =>
      checkMigration(f, fs.readFileSync(path.join(MIGRATIONS, f), 'utf8')),
    );
    assert.deepEqual(problems, []);
  });

  it('names a contract declares are used neither by this code nor by the previous release', () => {
    const release = previousRelease(ROOT);
    for (const f of files) {
      const contract = declaredContract(fs.readFileSync(path.join(MIGRATIONS, f), 'utf8'));
      if (!contract.length) continue;
      assert.deepEqual(usesOf(ROOT, contract), [], `${f}: this code still uses what it contracts`);
      if (release) assert.deepEqual(usesOf(ROOT, contract, release), [], `${f}: ${release} still uses it`);
    }
  });

  it('catches what would break the previous release during a rolling upgrade', () => {
    const up = (body: string, extra = '') =>
      `import type { Knex } from 'knex';\n${extra}\nexport async function up(knex: Knex): Promise<void> {\n${body}\n}\nexport async function down(knex: Knex): Promise<void> {\n  await knex.schema.dropTable('x');\n}\n`;
    const bad = {
      dropTable: "  await knex.schema.dropTable('rate_limits');",
      dropColumn: "  await knex.schema.alterTable('users', (t) => {\n    t.dropColumn('email');\n  });",
      rename:
        "  await knex.schema.alterTable('users', (t) => {\n    t.renameColumn('login', 'username');\n  });",
      retype: "  await knex.schema.alterTable('users', (t) => {\n    t.integer('locale').alter();\n  });",
      raw: "  await knex.raw('alter table users drop column email');",
      notNull: "  await knex.schema.alterTable('users', (t) => {\n    t.text('tenant').notNullable();\n  });",
    };
    for (const [what, body] of Object.entries(bad)) {
      assert.ok(checkMigration(`${what}.ts`, up(body)).length > 0, `${what} is flagged`);
    }
    // Expanding is fine; so is a declared contract; the down migration is never checked.
    const fine = [
      "  await knex.schema.createTable('notices', (t) => {\n    t.uuid('id').primary();\n    t.text('kind').notNullable();\n  });",
      "  await knex.schema.alterTable('users', (t) => {\n    t.text('tenant');\n    t.boolean('flag').notNullable().defaultTo(false);\n    t.index(['tenant']);\n  });",
    ];
    for (const body of fine) assert.deepEqual(checkMigration('fine.ts', up(body)), []);
    assert.deepEqual(
      checkMigration('contract.ts', up(bad.dropTable, "export const contract = ['rate_limits'];")),
      [],
    );
    // A declared contract of a name the code still uses is caught by the history check.
    assert.ok(usesOf(ROOT, ['users.login_normalized']).length > 0);
  });
});

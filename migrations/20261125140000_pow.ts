import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Solved anti-automation (proof-of-work) challenges, so each one is accepted once: the primary key
  // makes a concurrent second use fail on every instance. Rows are useless after expires_at.
  await knex.schema.createTable('pow_redemptions', (t) => {
    t.text('signature').primary();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('pow_redemptions');
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Fixed-window failure counters with a lock, for the reset flow's throttles (SSPR.md §3).
  await knex.schema.createTable('reset_locks', (t) => {
    t.text('key').primary();
    t.integer('count').notNullable().defaultTo(0);
    t.timestamp('window_start', { useTz: true }).notNullable();
    t.timestamp('locked_until', { useTz: true });
    t.text('user_id');
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('reset_locks');
}

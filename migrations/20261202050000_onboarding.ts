import type { Knex } from 'knex';

/*
 * Bringing people in (issue 16): contact methods an administrator puts on an account in advance
 * ("added by your organisation", confirmed by the user later), and single-use invitation links.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('credentials', (t) => {
    // user: registered by the user; organization: pre-registered by an administrator (phones, email).
    t.text('source').notNullable().defaultTo('user');
  });
  // Pre-registered methods are created unconfirmed; every existing credential was registered by its user.
  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    // HMAC of the link's secret under SECRET_KEY: the link itself is never stored.
    t.text('token_hash').notNullable().unique();
    t.text('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true });
    t.timestamp('revoked_at', { useTz: true });
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('invitations');
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('source');
  });
}

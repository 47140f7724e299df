import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Sessions of Tobira's own apps (portal, console, demo). The browser holds only a random
  // identifier; the row is keyed by its SHA-256, so a database reader cannot replay a cookie.
  await knex.schema.createTable('first_party_sessions', (t) => {
    t.text('id_hash').primary();
    t.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('client_id').notNullable();
    t.text('amr').notNullable(); // space-separated, as in the ID token's amr
    t.text('acr');
    t.timestamp('auth_time', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    /** The provider session's per-client sid (from the ID token), to end it at sign-out. */
    t.text('sid');
    /** The ID token, kept for the provider's sign-out page (id_token_hint) and the demo's display. */
    t.text('id_token');
    t.index(['user_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('first_party_sessions');
}

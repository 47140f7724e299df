import type { Knex } from 'knex';

/*
 * The reset flow's own table (issue 14): one row per reset session, with its stage, the gates passed,
 * the method in progress and its expiry as columns, taken with a row lock for every transition.
 * Until now a session was a `challenges` row of kind `reset.state` whose `flow` was rewritten after
 * insert. Expand only: the old rows stay where they are, are no longer read, and go with the
 * ordinary sweep of expired challenges; a reset in flight across the upgrade starts over.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reset_sessions', (t) => {
    t.uuid('id').primary();
    /** HMAC of the browser's secret: the session belongs to the browser that started it. */
    t.text('bind').notNullable();
    /** The user ID as typed (for the helpdesk request), at most 256 characters. */
    t.text('login').notNullable();
    /** The account being reset; null when the user ID was not eligible (the session only answers). */
    t.uuid('user_id').references('users.id').onDelete('CASCADE');
    /** The sign-in interaction to return to, if the reset started from one. */
    t.text('interaction');
    /** verifying | passed | finished (expired is `expires_at` passing). */
    t.text('stage').notNullable().defaultTo('verifying');
    /** Gates (credential kinds) passed, and the methods that passed them, in order. */
    t.jsonb('gates').notNullable().defaultTo('[]');
    t.jsonb('methods').notNullable().defaultTo('[]');
    /** Methods whose reset pre-step passed (the typed phone number matched). */
    t.jsonb('prechecked').notNullable().defaultTo('[]');
    /** The method in progress: its pre-step passed and its challenge is not answered yet. */
    t.text('active_method');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('reset_sessions');
}

import type { Knex } from 'knex';

/*
 * The durable back-channel logout queue: a logout token whose first delivery failed, or one that a
 * command ended without a running server (the CLI on PostgreSQL), is a row here, and a background
 * worker on any instance delivers it. The token is signed at send time, so the row holds only who is
 * logged out of which app; a restart loses nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('backchannel_logouts', (t) => {
    t.bigIncrements('id');
    t.text('client_id').notNullable();
    // The logout token's sub and, when the session is known, its sid for this client.
    t.text('sub').notNullable();
    t.text('sid');
    // Whom the audit events name instead of sub (the pseudonym of an erased user).
    t.text('audit_subject');
    // The number of the next attempt (1: never tried); bounded by the retry delays.
    t.integer('attempt').notNullable().defaultTo(1);
    // When the row may next be claimed: the next try, or the end of a claim's lease.
    t.timestamp('due_at', { useTz: true }).notNullable();
    // The current claim (random); the worker's final update must carry it, so a row is finished once.
    t.text('claim');
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['due_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('backchannel_logouts');
}

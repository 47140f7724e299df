import type { Knex } from 'knex';

/*
 * The durable notice queue: every notice (reset, password and security-info changes, contact
 * requests, administrator and budget alerts) is a row here first, and a background worker on any
 * instance sends it. The row is the whole state, so a restart or a mail outage loses nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notice_queue', (t) => {
    t.bigIncrements('id');
    // email: one rendered-at-send email; contact: a "contact an administrator" request that the
    // worker resolves to recipients (so the request does the same work for every user ID).
    t.text('kind').notNullable();
    // What the notice is for (notice.password_reset, alert.phone_budget, contact.request, ...).
    t.text('purpose').notNullable();
    // The account the notice is about, when known; administrators see its login on failures.
    t.uuid('user_id').references('id').inTable('users').onDelete('SET NULL');
    // JSON encrypted under SECRET_KEY: recipients, the request's IP and device are personal data.
    t.text('payload').notNullable();
    t.text('status').notNullable().defaultTo('pending'); // pending | done (sent or resolved) | failed
    t.integer('attempts').notNullable().defaultTo(0);
    // When the row may next be claimed: the first try, the next retry, or the end of a claim's lease.
    t.timestamp('due_at', { useTz: true }).notNullable();
    // The current claim (random); the worker's final update must carry it, so a row is finished once.
    t.text('claim');
    t.text('last_error');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.index(['status', 'due_at']);
    t.index(['finished_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notice_queue');
}

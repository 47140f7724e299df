import type { Knex } from 'knex';

/*
 * One table for every limit (sign-in lockout, second-factor lockout, reset attempts, method locks,
 * code attempts, sending rates). Each attempt is reserved with one atomic
 * `insert ... on conflict do update ... where ... returning` before the expensive check runs, so the
 * limits hold under parallel requests on every instance (src/store/counters.ts).
 *
 * Expand, then contract: `sign_in_throttle`, `rate_limits` and `reset_locks` (and the `attempts`
 * column of `challenges`) are no longer used but stay in place for a rolling upgrade; a later release
 * drops them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('counters', (t) => {
    // What is counted, e.g. "signin:alice", "2fa:<user id>", "phone:number:<hmac>"; never a raw number or address.
    t.text('key').primary();
    // Attempts in the current window: settled failures and events plus reservations still in flight.
    t.integer('hits').notNullable().defaultTo(0);
    // Reservations whose outcome is not known yet (included in `hits`).
    t.integer('pending').notNullable().defaultTo(0);
    // End of the current window; null: the counter has no window (it runs until a success clears it).
    t.timestamp('window_ends', { useTz: true });
    t.timestamp('locked_until', { useTz: true });
    // Locks so far: lock durations double with each one.
    t.integer('lock_count').notNullable().defaultTo(0);
    // The account a counter belongs to, when there is one (a successful reset clears them all).
    t.text('user_id');
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['user_id']);
    t.index(['updated_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('counters');
}

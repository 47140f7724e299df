import type { Knex } from 'knex';

/*
 * Fixed-window counters for sending limits (toll-fraud protection), shared by every instance.
 *
 * rate-limiter-flexible's RateLimiterPostgres is not used: it reads the wall clock (Date.now()) in
 * its SQL, so an injected clock cannot move its windows, and with storeType 'knex' it hands a
 * `{ name, text, values }` query object straight to the driver connection, which knex-pglite's
 * PGlite connection does not accept (it fails with ERR_INVALID_ARG_TYPE). One atomic
 * `insert ... on conflict do update ... where ... returning` per counter does the same job on both.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    // What is counted: "phone:number:<hmac>", "any:ip:<hmac>", "phone:budget"... never a raw number or address.
    t.text('key').primary();
    t.integer('points').notNullable().defaultTo(0);
    // End of the current window; a hit after it starts a new window.
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
}

import type { Knex } from 'knex';

/*
 * CSV imports run as jobs (issue 16): POST /api/admin/v1/imports answers 202 at once and the import
 * runs in the background, its progress (rows done, counts) written after every batch, so that any
 * instance can answer GET /api/admin/v1/imports/{id}.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('import_jobs', (t) => {
    t.uuid('id').primary();
    t.text('actor_id');
    t.boolean('dry_run').notNullable();
    // running | done | failed
    t.text('state').notNullable();
    t.integer('rows').notNullable().defaultTo(0);
    t.integer('created').notNullable().defaultTo(0);
    t.integer('updated').notNullable().defaultTo(0);
    t.integer('unchanged').notNullable().defaultTo(0);
    t.integer('failed').notNullable().defaultTo(0);
    // The first 1,000 row errors ({line, column, key, params}), written when the job ends.
    t.jsonb('errors');
    t.boolean('truncated').notNullable().defaultTo(false);
    // Why a failed job stopped: {key, params} of the message.
    t.jsonb('failure');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_jobs');
}

import type { Knex } from 'knex';

/*
 * Indexes for a large directory and audit log (issue 12):
 * - audit by user: (subject_id, id) and (actor_id, id), read as a UNION ALL of the two, newest first;
 * - audit by activity prefix ("admin.*"): text_pattern_ops, which LIKE 'x%' can use under any collation;
 * - users by exact email (the exact-match fast path of the user search);
 * - substring search: pg_trgm GIN indexes on login, name and email when the extension can be created
 *   (PostgreSQL with contrib); without it (the embedded database) the search scans, which is fine at
 *   the embedded database's sizes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index if not exists audit_events_subject_id_id on audit_events (subject_id, id)');
  await knex.raw('create index if not exists audit_events_actor_id_id on audit_events (actor_id, id)');
  await knex.raw(
    'create index if not exists audit_events_activity_pattern on audit_events (activity text_pattern_ops)',
  );
  await knex.raw('create index if not exists users_email_lower on users (lower(email))');
  if (await trigramAvailable(knex)) {
    for (const [name, expr] of [
      ['users_login_trgm', 'login_normalized'],
      ['users_name_trgm', 'lower(display_name)'],
      ['users_email_trgm', "lower(coalesce(email, ''))"],
    ])
      await knex.raw(`create index if not exists ${name} on users using gin ((${expr}) gin_trgm_ops)`);
  }
}

/** Creates pg_trgm when the server has it and we may; a failure is rolled back to a savepoint. */
async function trigramAvailable(knex: Knex): Promise<boolean> {
  const r = await knex.raw("select 1 from pg_available_extensions where name = 'pg_trgm'");
  if (!r.rows?.length) return false;
  await knex.raw('savepoint tobira_trgm');
  try {
    await knex.raw('create extension if not exists pg_trgm');
    await knex.raw('release savepoint tobira_trgm');
    return true;
  } catch {
    await knex.raw('rollback to savepoint tobira_trgm');
    return false;
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [
    'users_login_trgm',
    'users_name_trgm',
    'users_email_trgm',
    'users_email_lower',
    'audit_events_activity_pattern',
    'audit_events_actor_id_id',
    'audit_events_subject_id_id',
  ])
    await knex.raw(`drop index if exists ${name}`);
}

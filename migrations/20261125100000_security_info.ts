import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // One row per registered verification method.
  await knex.schema.createTable('credentials', (t) => {
    t.uuid('id').primary();
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('label').notNullable().defaultTo('');
    // Method data; secrets inside are sealed with SECRET_KEY (AES-256-GCM).
    t.jsonb('data').notNullable().defaultTo('{}');
    // A value the method looks credentials up by (a WebAuthn credential id), unique per kind.
    t.text('lookup');
    t.boolean('is_default').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('confirmed_at', { useTz: true });
    t.timestamp('last_used_at', { useTz: true });
    t.index(['user_id']);
    t.unique(['kind', 'lookup']);
  });

  // Short-lived verification state: codes (hashed), WebAuthn challenges, enrolment in progress.
  await knex.schema.createTable('challenges', (t) => {
    t.uuid('id').primary();
    t.text('flow').notNullable();
    t.uuid('user_id').references('users.id').onDelete('CASCADE');
    t.text('kind').notNullable();
    t.text('code_hash');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true });
    t.index(['flow', 'kind']);
    t.index(['expires_at']);
  });

  // Failed sign-ins counted by normalized login, whether or not such a user exists.
  await knex.schema.createTable('sign_in_throttle', (t) => {
    t.text('login_normalized').primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.integer('lock_count').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('password_history', (t) => {
    t.bigIncrements('id');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('password_hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['user_id', 'created_at']);
  });

  await knex.schema.alterTable('users', (t) => {
    // When the user last registered or confirmed their security info (reconfirmation period).
    t.timestamp('security_info_confirmed_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('security_info_confirmed_at');
  });
  for (const t of ['password_history', 'sign_in_throttle', 'challenges', 'credentials']) {
    await knex.schema.dropTableIfExists(t);
  }
}

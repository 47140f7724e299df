import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary();
    t.text('login').notNullable();
    t.text('login_normalized').notNullable().unique();
    t.text('display_name').notNullable().defaultTo('');
    t.text('email');
    t.text('locale');
    t.text('status').notNullable().defaultTo('active'); // active | disabled
    t.text('password_hash');
    t.timestamp('password_changed_at', { useTz: true });
    t.text('password_managed').notNullable().defaultTo('local'); // local | external
    t.boolean('must_change_password').notNullable().defaultTo(false);
    t.jsonb('roles').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('groups', (t) => {
    t.uuid('id').primary();
    t.text('name').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('group_members', (t) => {
    t.uuid('group_id').notNullable().references('groups.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id']);
  });

  // One table for every oidc-provider model.
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.text('model').notNullable();
    t.text('id').notNullable();
    t.jsonb('payload').notNullable();
    t.text('grant_id');
    t.text('user_code');
    t.text('uid');
    t.text('account_id');
    t.timestamp('expires_at', { useTz: true });
    t.timestamp('consumed_at', { useTz: true });
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['account_id']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('clients', (t) => {
    t.text('client_id').primary();
    t.jsonb('metadata').notNullable();
    t.text('secret_encrypted');
    t.boolean('first_party').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('use').notNullable(); // sig | cookie
    t.text('alg').notNullable();
    t.text('material_encrypted').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('expires_at', { useTz: true });
  });

  await knex.schema.createTable('settings', (t) => {
    t.text('key').primary();
    t.jsonb('value').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.text('updated_by');
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.text('actor_id');
    t.text('subject_id');
    t.text('activity').notNullable();
    t.text('result').notNullable();
    t.text('reason');
    t.text('ip');
    t.text('user_agent');
    t.jsonb('details');
    t.index(['at']);
    t.index(['subject_id', 'at']);
    t.index(['activity', 'at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of [
    'audit_events',
    'settings',
    'signing_keys',
    'clients',
    'oidc_payloads',
    'group_members',
    'groups',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(t);
  }
}

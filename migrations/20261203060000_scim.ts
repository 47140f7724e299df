import type { Knex } from 'knex';

/*
 * SCIM 2.0 provisioning (issue 16, item 5):
 * - clients.scim_granted: an administrator granted the client the `scim` scope (denied by default,
 *   first-party clients only), as admin_granted does for the admin API;
 * - users.external_id: the provisioning client's own identifier of the person (SCIM `externalId`),
 *   indexed for `externalId eq "…"` look-ups; groups.external_id the same for groups;
 * - groups.updated_at: when a group last changed through SCIM (meta.lastModified; null: never since
 *   its creation).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.boolean('scim_granted').notNullable().defaultTo(false);
  });
  await knex.schema.alterTable('users', (t) => {
    t.text('external_id');
  });
  await knex.raw('create index if not exists users_external_id on users (external_id)');
  await knex.schema.alterTable('groups', (t) => {
    t.text('external_id');
    t.timestamp('updated_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('groups', (t) => {
    t.dropColumn('external_id');
    t.dropColumn('updated_at');
  });
  await knex.raw('drop index if exists users_external_id');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('external_id');
  });
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('scim_granted');
  });
}

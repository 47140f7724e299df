import type { Knex } from 'knex';

/**
 * The `admin` scope is granted per client by an administrator (denied by default). A client that was
 * registered with `admin` in its scope list had it granted explicitly, so it keeps it; the word moves
 * from the scope list to the flag.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    t.boolean('admin_granted').notNullable().defaultTo(false);
  });
  const rows = await knex('clients').select('client_id', 'metadata');
  for (const r of rows) {
    const metadata = typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata;
    const scopes = typeof metadata?.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [];
    if (!scopes.includes('admin')) continue;
    const rest = scopes.filter((s: string) => s !== 'admin');
    const { scope: _scope, ...others } = metadata;
    await knex('clients')
      .where({ client_id: r.client_id })
      .update({
        admin_granted: true,
        metadata: JSON.stringify(rest.length ? { ...others, scope: rest.join(' ') } : others),
      });
  }
}

export async function down(knex: Knex): Promise<void> {
  const rows = await knex('clients').where({ admin_granted: true }).select('client_id', 'metadata');
  for (const r of rows) {
    const metadata = typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata;
    if (typeof metadata.scope === 'string') metadata.scope = `${metadata.scope} admin`;
    await knex('clients')
      .where({ client_id: r.client_id })
      .update({ metadata: JSON.stringify(metadata) });
  }
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('admin_granted');
  });
}

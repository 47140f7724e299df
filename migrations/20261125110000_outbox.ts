import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Messages kept instead of sent when a channel has no real sender (development and tests).
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id');
    t.text('channel').notNullable(); // email | sms | voice
    t.text('recipient').notNullable();
    t.text('locale').notNullable();
    t.text('subject');
    t.text('body_text').notNullable();
    t.text('body_html');
    t.text('purpose').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('outbox');
}

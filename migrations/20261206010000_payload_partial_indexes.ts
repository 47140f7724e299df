import type { Knex } from 'knex';

/*
 * oidc_payloads: the look-ups by grant, interaction uid, user code and account only ever ask for a
 * value, never for NULL, and most rows have NULL in most of these columns (a client-credentials token
 * has none of them, an access token no uid nor user code). Partial indexes hold only the rows that
 * have a value, so writing a token maintains two or four indexes instead of six, and the indexes stay
 * small. An equality look-up (`grant_id = ?`) implies `grant_id is not null`, so the planner uses them
 * as it used the full ones.
 */
const COLUMNS = ['grant_id', 'uid', 'user_code', 'account_id'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const c of COLUMNS) {
    await knex.schema.alterTable('oidc_payloads', (t) => t.dropIndex([c]));
    await knex.schema.alterTable('oidc_payloads', (t) =>
      t.index([c], `oidc_payloads_${c}_index`, { predicate: knex.whereNotNull(c) }),
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const c of COLUMNS) {
    await knex.schema.alterTable('oidc_payloads', (t) => t.dropIndex([c]));
    await knex.schema.alterTable('oidc_payloads', (t) => t.index([c]));
  }
}

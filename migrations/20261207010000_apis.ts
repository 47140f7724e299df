import type { Knex } from 'knex';

/*
 * APIs (resource servers, RFC 8707 resource indicators) and which client may call which of them with
 * which scopes: Entra's "Expose an API" and application permissions. A client-credentials request
 * naming an API (`resource`) gets an access token for that API alone, with the scopes granted here;
 * by default a JWT (RFC 9068) the API checks against /jwks without asking Tobira.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('apis', (t) => {
    // The resource indicator: an absolute URI without a fragment (https://api.example.com, api://orders).
    t.text('identifier').primary();
    t.text('name').notNullable();
    // The scopes the API defines (a JSON array of strings).
    t.jsonb('scopes').notNullable();
    // 'jwt' (checked by the API itself) or 'opaque' (stored, introspected, revocable at once).
    t.text('token_format').notNullable();
    t.integer('token_ttl_seconds').notNullable();
    t.text('signing_alg').notNullable();
    // The client the API itself signs in as, allowed to introspect this API's opaque tokens.
    t.text('introspection_client_id').references('client_id').inTable('clients').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('api_grants', (t) => {
    t.text('client_id').notNullable().references('client_id').inTable('clients').onDelete('CASCADE');
    t.text('api_identifier').notNullable().references('identifier').inTable('apis').onDelete('CASCADE');
    // The scopes granted to this client on this API (a JSON array, each one of the API's).
    t.jsonb('scopes').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['client_id', 'api_identifier']);
    t.index(['api_identifier']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_grants');
  await knex.schema.dropTableIfExists('apis');
}

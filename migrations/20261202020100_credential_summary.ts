import type { Knex } from 'knex';

/*
 * A per-user rollup for the reports (issue 12): users.credential_summary holds the user's credentials
 * counted per class ({"app":1,"phone:mobile":1}), kept current at write time by a trigger on
 * credentials, so the reports read one row per user instead of joining every credential.
 * Updates that change neither the kind, the owner nor the data (last use) do not fire it.
 */
/**
 * A class per credential: the kind, refined by what the methods' `accepts` look at (a phone's type
 * and a valid number; a well-formed question set). src/store/reports.ts maps a class back to a
 * stand-in credential; test/integration/report-sql.test.ts checks the two agree with the methods.
 */
const CREDENTIAL_CLASS_SQL = `case
  when c.kind = 'phone' then
    case when jsonb_typeof(c.data) = 'object' and c.data->>'e164' ~ '^\\+[1-9][0-9]{6,14}$'
      then 'phone:' || case when c.data->>'type' = 'mobile' then 'mobile' else 'alternate' end
      else 'phone:invalid' end
  when c.kind = 'questions' then
    case when jsonb_typeof(c.data->'questions') <> 'array' then 'questions:invalid'
      when jsonb_array_length(c.data->'questions') between 3 and 5
        and not exists (
          select 1 from jsonb_array_elements(c.data->'questions') q
          where jsonb_typeof(q) <> 'object'
            or coalesce(jsonb_typeof(q->'id'), '') <> 'string'
            or coalesce(jsonb_typeof(q->'hash'), '') <> 'string'
            or (q->'text' is not null and jsonb_typeof(q->'text') <> 'string'))
      then 'questions' else 'questions:invalid' end
  else c.kind end`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table users add column credential_summary jsonb not null default '{}'`);
  const summary = (uid: string) => `coalesce((
      select jsonb_object_agg(t.cls, t.n)
      from (select ${CREDENTIAL_CLASS_SQL} as cls, count(*) as n
            from credentials c where c.user_id = ${uid} group by 1) t), '{}'::jsonb)`;
  await knex.raw(`
    create or replace function tobira_credential_summary() returns trigger language plpgsql as $$
    begin
      if tg_op in ('INSERT', 'UPDATE') then
        update users set credential_summary = ${summary('new.user_id')} where id = new.user_id;
      end if;
      if tg_op = 'DELETE' or (tg_op = 'UPDATE' and old.user_id is distinct from new.user_id) then
        update users set credential_summary = ${summary('old.user_id')} where id = old.user_id;
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create trigger credentials_summary_insert_delete after insert or delete on credentials
    for each row execute function tobira_credential_summary()`);
  await knex.raw(`
    create trigger credentials_summary_update after update on credentials for each row
    when (old.kind is distinct from new.kind or old.user_id is distinct from new.user_id
          or old.data is distinct from new.data)
    execute function tobira_credential_summary()`);
  await knex.raw(`
    update users u set credential_summary = s.summary
    from (select t.user_id, jsonb_object_agg(t.cls, t.n) as summary
          from (select c.user_id, ${CREDENTIAL_CLASS_SQL} as cls, count(*) as n
                from credentials c group by 1, 2) t
          group by t.user_id) s
    where s.user_id = u.id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop trigger if exists credentials_summary_update on credentials');
  await knex.raw('drop trigger if exists credentials_summary_insert_delete on credentials');
  await knex.raw('drop function if exists tobira_credential_summary()');
  await knex.raw('alter table users drop column if exists credential_summary');
}

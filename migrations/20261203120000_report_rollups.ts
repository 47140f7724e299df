import type { Knex } from 'knex';

/*
 * Rollups for the reports (issue 12), kept current by triggers in the writing transaction, so a report
 * reads a few hundred rows whatever the size of the directory and the audit log:
 *
 * - users.group_names: the user's group names, sorted (from group_members, kept by triggers on
 *   group_members and on renames of groups).
 * - report_subjects: active users counted per (roles, group_names, credential_summary), kept by
 *   statement-level triggers on users (with credential_summary, kept by the credentials trigger of
 *   migration 20261202020100, and group_names above, every input of the registration report is a
 *   column of users). A bulk insert adjusts each signature once per statement.
 * - report_audit_daily: audit events counted per UTC day, activity and result, and
 *   report_reset_methods: completed resets per UTC day and method named in their details; kept by
 *   row triggers that fire only for the activities the reports count (reset.complete, reset.attempt),
 *   so sign-ins and other events pay nothing.
 *
 * tobira_report_rollups_rebuild() recomputes all of them from the tables (the migration's backfill;
 * also what a bulk load that disabled the triggers calls afterwards).
 */

const REPORTED_ACTIVITIES = ['reset.complete', 'reset.attempt'];

const GROUP_NAMES_OF = (userId: string) => `coalesce((
  select array_agg(g.name order by g.name)
  from group_members gm join groups g on g.id = gm.group_id
  where gm.user_id = ${userId}), '{}'::text[])`;

/** The methods a completed reset names in its details, each once (src/store/reports.ts counts the same). */
const METHODS_OF = (details: string) => `(select distinct x #>> '{}' as method
  from jsonb_array_elements(case when jsonb_typeof(${details}->'methods') = 'array'
                                 then ${details}->'methods' else '[]'::jsonb end) x
  where jsonb_typeof(x) = 'string' and length(x #>> '{}') <= 40)`;

const DAY_OF = (at: string) => `(${at} at time zone 'UTC')::date`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table users add column group_names text[] not null default '{}'`);
  await knex.raw(`
    create table report_subjects (
      roles jsonb not null,
      groups text[] not null,
      summary jsonb not null,
      users bigint not null default 0,
      primary key (roles, groups, summary)
    )`);
  await knex.raw(`
    create table report_audit_daily (
      day date not null,
      activity text not null,
      result text not null,
      n bigint not null default 0,
      primary key (day, activity, result)
    )`);
  await knex.raw(`
    create table report_reset_methods (
      day date not null,
      method text not null,
      n bigint not null default 0,
      primary key (day, method)
    )`);

  // users.group_names, from memberships (statement level: an import adds many at once).
  await knex.raw(`
    create or replace function tobira_group_names_refresh() returns trigger language plpgsql as $$
    begin
      update users u set group_names = ${GROUP_NAMES_OF('u.id')}
      where u.id in (select distinct user_id from changed_members);
      return null;
    end $$`);
  await knex.raw(`
    create trigger group_members_names_insert after insert on group_members
    referencing new table as changed_members for each statement
    execute function tobira_group_names_refresh()`);
  await knex.raw(`
    create trigger group_members_names_delete after delete on group_members
    referencing old table as changed_members for each statement
    execute function tobira_group_names_refresh()`);
  await knex.raw(`
    create or replace function tobira_group_rename() returns trigger language plpgsql as $$
    begin
      update users u set group_names = ${GROUP_NAMES_OF('u.id')}
      where u.id in (select user_id from group_members where group_id = new.id);
      return null;
    end $$`);
  await knex.raw(`
    create trigger groups_rename after update on groups for each row
    when (old.name is distinct from new.name)
    execute function tobira_group_rename()`);

  // report_subjects, from users: -1 for each old active row, +1 for each new one, per signature.
  const signatures = (table: string, n: number) =>
    `select roles, group_names, credential_summary, ${n} as n from ${table} where status = 'active'`;
  const apply = (deltas: string) => `
      insert into report_subjects as r (roles, groups, summary, users)
      select d.roles, d.group_names, d.credential_summary, sum(d.n) from (${deltas}) d
      group by 1, 2, 3
      having sum(d.n) <> 0
      on conflict (roles, groups, summary) do update set users = r.users + excluded.users;`;
  await knex.raw(`
    create or replace function tobira_report_subjects() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then${apply(signatures('new_users', 1))}
      elsif tg_op = 'DELETE' then${apply(signatures('old_users', -1))}
      else${apply(`${signatures('old_users', -1)} union all ${signatures('new_users', 1)}`)}
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create trigger users_report_insert after insert on users
    referencing new table as new_users for each statement
    execute function tobira_report_subjects()`);
  await knex.raw(`
    create trigger users_report_update after update on users
    referencing old table as old_users new table as new_users for each statement
    execute function tobira_report_subjects()`);
  await knex.raw(`
    create trigger users_report_delete after delete on users
    referencing old table as old_users for each statement
    execute function tobira_report_subjects()`);

  // report_audit_daily and report_reset_methods, from the audit events the reports count.
  const activities = REPORTED_ACTIVITIES.map((a) => `'${a}'`).join(', ');
  await knex.raw(`
    create or replace function tobira_report_audit() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') and old.activity in (${activities}) then
        update report_audit_daily set n = n - 1
        where day = ${DAY_OF('old.at')} and activity = old.activity and result = old.result;
        if old.activity = 'reset.complete' and old.result = 'succeeded' then
          update report_reset_methods m set n = m.n - 1
          from ${METHODS_OF('old.details')} x
          where m.day = ${DAY_OF('old.at')} and m.method = x.method;
        end if;
      end if;
      if tg_op in ('INSERT', 'UPDATE') and new.activity in (${activities}) then
        insert into report_audit_daily as r (day, activity, result, n)
        values (${DAY_OF('new.at')}, new.activity, new.result, 1)
        on conflict (day, activity, result) do update set n = r.n + 1;
        if new.activity = 'reset.complete' and new.result = 'succeeded' then
          insert into report_reset_methods as r (day, method, n)
          select ${DAY_OF('new.at')}, x.method, 1 from ${METHODS_OF('new.details')} x
          on conflict (day, method) do update set n = r.n + 1;
        end if;
      end if;
      return null;
    end $$`);
  await knex.raw(`
    create trigger audit_report_insert after insert on audit_events for each row
    when (new.activity in (${activities}))
    execute function tobira_report_audit()`);
  await knex.raw(`
    create trigger audit_report_update after update on audit_events for each row
    when ((old.activity in (${activities}) or new.activity in (${activities}))
          and (old.activity, old.result, old.at, old.details -> 'methods')
              is distinct from (new.activity, new.result, new.at, new.details -> 'methods'))
    execute function tobira_report_audit()`);
  await knex.raw(`
    create trigger audit_report_delete after delete on audit_events for each row
    when (old.activity in (${activities}))
    execute function tobira_report_audit()`);

  await knex.raw(`
    create or replace function tobira_report_rollups_rebuild() returns void language plpgsql as $$
    begin
      update users u set group_names = g.names
      from (select gm.user_id, array_agg(gr.name order by gr.name) as names
            from group_members gm join groups gr on gr.id = gm.group_id group by gm.user_id) g
      where g.user_id = u.id and u.group_names is distinct from g.names;
      update users u set group_names = '{}'
      where u.group_names <> '{}' and not exists (select 1 from group_members gm where gm.user_id = u.id);
      delete from report_subjects;
      insert into report_subjects (roles, groups, summary, users)
      select roles, group_names, credential_summary, count(*) from users where status = 'active' group by 1, 2, 3;
      delete from report_audit_daily;
      insert into report_audit_daily (day, activity, result, n)
      select ${DAY_OF('at')}, activity, result, count(*) from audit_events
      where activity in (${activities}) group by 1, 2, 3;
      delete from report_reset_methods;
      insert into report_reset_methods (day, method, n)
      select ${DAY_OF('e.at')}, x.method, count(*)
      from audit_events e, lateral ${METHODS_OF('e.details')} x
      where e.activity = 'reset.complete' and e.result = 'succeeded'
      group by 1, 2;
    end $$`);
  await knex.raw('select tobira_report_rollups_rebuild()');
}

export async function down(knex: Knex): Promise<void> {
  for (const [trigger, table] of [
    ['audit_report_insert', 'audit_events'],
    ['audit_report_update', 'audit_events'],
    ['audit_report_delete', 'audit_events'],
    ['users_report_insert', 'users'],
    ['users_report_update', 'users'],
    ['users_report_delete', 'users'],
    ['groups_rename', 'groups'],
    ['group_members_names_insert', 'group_members'],
    ['group_members_names_delete', 'group_members'],
  ]) {
    await knex.raw(`drop trigger if exists ${trigger} on ${table}`);
  }
  for (const fn of [
    'tobira_report_rollups_rebuild',
    'tobira_report_audit',
    'tobira_report_subjects',
    'tobira_group_rename',
    'tobira_group_names_refresh',
  ]) {
    await knex.raw(`drop function if exists ${fn}()`);
  }
  await knex.schema.dropTableIfExists('report_reset_methods');
  await knex.schema.dropTableIfExists('report_audit_daily');
  await knex.schema.dropTableIfExists('report_subjects');
  await knex.raw('alter table users drop column if exists group_names');
}

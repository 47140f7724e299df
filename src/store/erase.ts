import { affected, type Tx } from '../db/knex.ts';

/**
 * Erasing a user (`tobira user delete`): every row that is theirs goes; the audit trail stays, with
 * their id replaced by a pseudonym and their login removed from the events' details. Runs inside the
 * caller's transaction, after the caller revoked the provider sessions, grants and tokens.
 */
export async function eraseUser(
  db: Tx,
  user: { id: string; login: string },
  pseudonym: string,
): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  const del = async (table: string, where: (q: any) => any) => {
    removed[table] = affected(await where(db(table)).delete());
  };
  await del('counters', (q) => q.where({ user_id: user.id }));
  await del('notice_queue', (q) => q.where({ user_id: user.id }));
  await del('challenges', (q) => q.where({ user_id: user.id }));
  // Tables an expand-contract migration is retiring: erased while they exist.
  for (const [table, column, value] of [
    ['reset_locks', 'user_id', user.id],
    ['sign_in_throttle', 'login_normalized', user.login],
  ] as const) {
    if (await db.schema.hasTable(table)) await del(table, (q) => q.where({ [column]: value }));
  }
  // Credentials, password history, group memberships and first-party sessions go with the row.
  await del('users', (q) => q.where({ id: user.id }));
  const audit = db('audit_events');
  removed.audit_subject = affected(
    await audit.clone().where({ subject_id: user.id }).update({ subject_id: pseudonym }),
  );
  removed.audit_actor = affected(
    await audit.clone().where({ actor_id: user.id }).update({ actor_id: pseudonym }),
  );
  await db('audit_events')
    .where({ subject_id: pseudonym })
    .whereRaw("details \\? 'login'")
    .update({ details: db.raw("details - 'login'") });
  return removed;
}

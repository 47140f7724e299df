import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

interface Migration {
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
}

/** Loads our TypeScript migrations through Node's own import (type stripping), not knex's loader. */
class TsMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{14}_[a-z0-9_]+\.ts$/.test(f))
      .sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, name)).href)) as Migration;
    return { up: mod.up, down: mod.down ?? (async () => {}) };
  }
}

const config = (): Knex.MigratorConfig => ({
  migrationSource: new TsMigrationSource(),
  tableName: 'knex_migrations',
});

/**
 * Applies pending migrations. Knex takes its lock (a row in knex_migrations_lock) first; when another
 * process holds it (replicas or init containers starting together), this waits for that process to
 * finish, up to `waitMs`, then finds nothing left to do.
 */
export async function migrateLatest(db: Knex, waitMs = 120_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const [, applied] = (await db.migrate.latest(config())) as [number, string[]];
      return applied;
    } catch (err) {
      if (!/already locked/i.test((err as Error).message) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function pendingMigrations(db: Knex): Promise<number> {
  const [, pending] = (await db.migrate.list(config())) as [unknown[], unknown[]];
  return pending.length;
}

import fs from 'node:fs';
import path from 'node:path';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { sendControl } from './control.ts';
import { resolveSecretKey } from './secret-key.ts';
import { SecretBox } from './security/secrets.ts';
import { databaseLabel, runningServer } from './server-registry.ts';

// The commands, the database drivers and the backup code load only when this process runs a
// command itself: a command forwarded to a running server over the control socket needs none of
// them, so it starts fast (issue 12).

async function readStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const FORCE = '--force-database';

/** Whether DATA_DIR already holds an embedded database (PGlite keeps PG_VERSION at its top). */
function hasEmbeddedDatabase(dataDir: string): boolean {
  return (
    fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION')) ||
    fs.existsSync(path.join(dataDir, 'PG_VERSION'))
  );
}

async function main(argv: string[]): Promise<number> {
  if (!argv.length || argv[0] === '--help' || argv[0] === 'help') {
    const { USAGE } = await import('./commands.ts');
    process.stdout.write(USAGE);
    return argv.length ? 0 : 2;
  }
  // `tobira user update --help`: the command's own usage, without touching any database.
  if (argv.some((a) => a === '--help' || a === '-h')) {
    const { helpFor } = await import('./commands.ts');
    const help = helpFor(argv);
    if (help) {
      process.stdout.write(help);
      return 0;
    }
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  // --force-database: work on this configuration's database although the running server uses another.
  const force = argv.includes(FORCE);
  argv = argv.filter((a) => a !== FORCE);
  const stdin = argv.includes('--password-stdin') ? await readStdin() : undefined;
  // A server on the embedded database runs the command in its own directory: hand it absolute paths.
  if (['backup', 'restore', 'export', 'import'].includes(argv[0]) && argv[1] && !argv[1].startsWith('-')) {
    argv = [argv[0], path.resolve(argv[1]), ...argv.slice(2)];
  }
  if (argv[0] === 'restore' && !config.databaseUrl) {
    if (await sendControl(config.dataDir, ['restore'], undefined)) {
      process.stderr.write(
        'tobira: restore: stop the server first; restore unpacks into an empty DATA_DIR\n',
      );
      return 2;
    }
    if (argv.length !== 2) {
      process.stderr.write('tobira: restore: exactly one FILE is required\n');
      return 2;
    }
    const { BackupError, restoreEmbedded } = await import('./backup.ts');
    try {
      const r = await restoreEmbedded(config.dataDir, argv[1]);
      process.stdout.write(`restored into ${path.resolve(config.dataDir)} (${r.users} users)\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof BackupError)) throw err;
      process.stderr.write(`tobira: ${err.message}\n`);
      return 2;
    }
  }

  const database = databaseLabel(config);
  if (!config.databaseUrl) {
    const forwarded = await sendControl(config.dataDir, argv, stdin);
    if (forwarded) {
      process.stderr.write(`tobira: database: ${database} (through the running server)\n`);
      process.stdout.write(forwarded.stdout);
      process.stderr.write(forwarded.stderr);
      return forwarded.code;
    }
  }
  // The server running for this ISSUER uses another database: refuse, rather than change (or
  // create) a database nobody serves.
  const running = runningServer(config);
  if (running && running.database !== database && !force) {
    process.stderr.write(
      `tobira: the server running for ${config.issuer} (pid ${running.pid}) uses ${running.database},\n` +
        `  but this command would use ${database}.\n` +
        '  Set DATA_DIR or DATABASE_URL as the server has them, or add --force-database to use this one anyway.\n',
    );
    return 2;
  }
  const fresh = !config.databaseUrl && !hasEmbeddedDatabase(config.dataDir);
  process.stderr.write(
    `tobira: database: ${database}${fresh ? ' (new: no database was there, one is created now)' : ''}\n`,
  );
  const box = new SecretBox(resolveSecretKey(config).key);
  const [{ createDb }, { migrateLatest }, { runCommand }] = await Promise.all([
    import('./db/knex.ts'),
    import('./db/migrate.ts'),
    import('./commands.ts'),
  ]);
  const db = createDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    preparedStatements: config.databasePreparedStatements,
    poolMax: 2,
  });
  try {
    if (argv[0] !== 'migrate') await migrateLatest(db);
    const r = await runCommand(argv, stdin, {
      db,
      box,
      clock: systemClock,
      config,
      progress: (line) => process.stderr.write(line),
    });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code;
  } finally {
    await db.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`tobira: ${(err as Error).message}\n`);
  return 1;
});

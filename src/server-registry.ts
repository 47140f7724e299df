import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from './config.ts';

/*
 * Which database the running server uses, so that the CLI never works on another one by mistake
 * (issue 13: a CLI whose DATA_DIR differed from the server's created a second, empty database and
 * said "created"). A server writes one small file per ISSUER in a directory only its user can open
 * (XDG_RUNTIME_DIR, else the system's temporary directory, in tobira-<uid>/): its pid and its
 * database. The CLI, configured with the same ISSUER, reads it; a live server on another database
 * makes the CLI refuse unless --force-database is given. The database is named, never with a password.
 */

export interface RunningServer {
  pid: number;
  issuer: string;
  database: string;
}

/** The database a configuration opens, for people: the embedded directory, or the PostgreSQL URL without secrets. */
export function databaseLabel(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `embedded ${realDir(config.dataDir)}`;
  return `PostgreSQL ${redactUrl(config.databaseUrl)}`;
}

/** postgres://user:***@host:port/db: the password and any query (which may hold one) left out. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return 'postgres://(unreadable DATABASE_URL)';
  }
}

function realDir(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

/** The directory of the registry, created for this user only; undefined when it is not safely ours. */
function registryDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(env.XDG_RUNTIME_DIR || os.tmpdir(), `tobira-${uid}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    // Another user's directory (or a link planted in a shared /tmp) is not trusted.
    if (!st.isDirectory() || (typeof process.getuid === 'function' && st.uid !== uid)) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

const fileOf = (dir: string, issuer: string) =>
  path.join(dir, `${crypto.createHash('sha256').update(issuer).digest('hex').slice(0, 32)}.json`);

/** Records this server for its ISSUER; returns the function that removes the record at shutdown. */
export function registerServer(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'issuer'>): () => void {
  const dir = registryDir();
  if (!dir) return () => {};
  const file = fileOf(dir, config.issuer);
  const entry: RunningServer = { pid: process.pid, issuer: config.issuer, database: databaseLabel(config) };
  try {
    fs.writeFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
  } catch {
    return () => {};
  }
  return () => {
    try {
      const now = JSON.parse(fs.readFileSync(file, 'utf8')) as RunningServer;
      if (now.pid === process.pid) fs.rmSync(file);
    } catch {
      // already gone
    }
  };
}

/** The live server registered for this ISSUER, if any (a record whose process is gone is ignored). */
export function runningServer(config: Pick<Config, 'issuer'>): RunningServer | undefined {
  const dir = registryDir();
  if (!dir) return undefined;
  try {
    const entry = JSON.parse(fs.readFileSync(fileOf(dir, config.issuer), 'utf8')) as RunningServer;
    if (typeof entry.pid !== 'number' || typeof entry.database !== 'string') return undefined;
    process.kill(entry.pid, 0);
    return entry;
  } catch {
    return undefined;
  }
}

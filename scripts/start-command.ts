/**
 * How the product starts the server, read from package.json's `start` script, so that a benchmark can
 * start Tobira exactly that way (bench/run.ts --rss-signins) and a test can check that the Dockerfile
 * agrees with it (test/unit/start-command.test.ts).
 *
 * The script has the shape `NAME=${NAME-default} … node --flag … src/main.ts`: environment variables
 * with the value they take when the caller has not set them (set, even to nothing, the caller's value
 * wins, as in the shell), then Node's own options, then the entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface StartCommand {
  /** Variables the start script sets when they are unset: name -> default value. */
  envDefaults: Record<string, string>;
  /** Node's options before the entry, e.g. ['--max-semi-space-size=8']. */
  nodeOptions: string[];
  /** The entry, relative to the repository root: 'src/main.ts'. */
  entry: string;
}

/** Parses a start script of the shape above; throws on anything else. */
export function parseStartScript(script: string): StartCommand {
  const words = script.trim().split(/\s+/);
  const envDefaults: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && words[i] !== 'node'; i++) {
    const m = /^([A-Z_][A-Z0-9_]*)=\$\{([A-Z_][A-Z0-9_]*)-([^}]*)\}$/.exec(words[i]);
    if (!m || m[1] !== m[2]) throw new Error(`start script: expected NAME=\${NAME-default}, got "${words[i]}"`);
    envDefaults[m[1]] = m[3];
  }
  if (words[i] !== 'node') throw new Error('start script: no node command');
  const nodeOptions: string[] = [];
  for (i++; i < words.length && words[i].startsWith('-'); i++) nodeOptions.push(words[i]);
  const entry = words[i];
  if (!entry || i !== words.length - 1) throw new Error('start script: expected one entry after the options');
  return { envDefaults, nodeOptions, entry };
}

export function startCommand(root = ROOT): StartCommand {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return parseStartScript(String(pkg.scripts?.start ?? ''));
}

/** The environment the start script gives the server when the caller's environment is `env`. */
export function startEnv(
  env: Record<string, string | undefined>,
  cmd: StartCommand = startCommand(),
): Record<string, string | undefined> {
  const out = { ...env };
  for (const [k, v] of Object.entries(cmd.envDefaults)) if (out[k] === undefined) out[k] = v;
  return out;
}

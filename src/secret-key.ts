import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

/**
 * SECRET_KEY from the environment, or (embedded database, or development) a key generated once into
 * DATA_DIR/secret.key, readable only by its owner.
 */
export function resolveSecretKey(config: Config): { key: Buffer; generated: boolean; file?: string } {
  if (config.secretKey) return { key: config.secretKey, generated: false };
  const file = path.resolve(config.dataDir, 'secret.key');
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold 32 bytes in base64`);
    return { key, generated: false, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, generated: true, file };
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * Debian tools some tests need. Missing ones skip those tests with a notice, so `npm test` passes on
 * a fresh machine; under TOBIRA_REQUIRE_TOOLS=1 (CI installs them) a missing tool fails instead.
 */
export function toolAvailable(path: string): boolean {
  return fs.existsSync(path);
}

export function requireTool(t: TestContext, path: string, pkg: string): boolean {
  if (toolAvailable(path)) return true;
  if (process.env.TOBIRA_REQUIRE_TOOLS === '1') throw new Error(`${path} is missing: apt-get install ${pkg}`);
  const notice = `${path} not found: skipping (apt-get install ${pkg} to run this test)`;
  process.stderr.write(`NOTICE: ${notice}\n`);
  t.skip(notice);
  return false;
}

export const OATHTOOL = '/usr/bin/oathtool';

/** A TOTP code computed by oathtool, independently of Tobira's code, for the given instant. */
export function oathtoolCode(base32Secret: string, at: Date): string {
  const now = at
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return execFileSync(OATHTOOL, ['--totp', '-b', '--now', now, base32Secret.replace(/\s+/g, '')], {
    encoding: 'utf8',
  }).trim();
}

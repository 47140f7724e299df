import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseStartScript, ROOT, startCommand, startEnv } from '../../scripts/start-command.ts';

/** The final stage of the Dockerfile: its ENV assignments and its CMD. */
function dockerfile() {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const last = lines.slice(lines.findLastIndex((l) => /^FROM\s/i.test(l)));
  const env: Record<string, string> = {};
  for (const l of last.filter((x) => /^ENV\s/i.test(x))) {
    for (const [, k, v] of l.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) env[k] = v;
  }
  const cmd = last.find((l) => /^CMD\s+\[/i.test(l));
  assert.ok(cmd, 'the final stage has a CMD [...]');
  return { env, cmd: JSON.parse(cmd.slice(cmd.indexOf('['))) as string[] };
}

describe('how the server is started (issue 12: memory)', () => {
  it('npm start runs src/main.ts with a small young generation and glibc handing argon2id memory back', () => {
    const cmd = startCommand();
    assert.equal(cmd.entry, 'src/main.ts');
    assert.ok(
      cmd.nodeOptions.some((o) => /^--max-semi-space-size=\d+$/.test(o)),
      `node options: ${cmd.nodeOptions.join(' ')}`,
    );
    assert.match(cmd.envDefaults.GLIBC_TUNABLES ?? '', /glibc\.malloc\.mmap_threshold=\d+/);
    assert.match(cmd.envDefaults.GLIBC_TUNABLES ?? '', /glibc\.malloc\.hugetlb=1/);
  });

  it('the image starts the server the same way as npm start', () => {
    const cmd = startCommand();
    const image = dockerfile();
    assert.deepEqual(image.cmd, ['node', ...cmd.nodeOptions, cmd.entry]);
    for (const [k, v] of Object.entries(cmd.envDefaults))
      assert.equal(image.env[k], v, `ENV ${k} in the Dockerfile`);
  });

  it("the caller's value wins, an empty one too (that is how a setting is turned off)", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, as in package.json
    const cmd = parseStartScript('A_B=${A_B-x:y=1} node --flag=2 src/main.ts');
    assert.deepEqual(cmd, { envDefaults: { A_B: 'x:y=1' }, nodeOptions: ['--flag=2'], entry: 'src/main.ts' });
    assert.equal(startEnv({}, cmd).A_B, 'x:y=1');
    assert.equal(startEnv({ A_B: '' }, cmd).A_B, '');
    assert.equal(startEnv({ A_B: 'z' }, cmd).A_B, 'z');
  });

  it('refuses a start script of another shape rather than guess', () => {
    assert.throws(() => parseStartScript('A=1 node src/main.ts'), /NAME=\$\{NAME-default\}/);
    assert.throws(() => parseStartScript('tsx src/main.ts'), /NAME=/);
    assert.throws(() => parseStartScript('node --x src/main.ts extra'), /one entry/);
  });
});

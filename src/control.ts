import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CommandResult } from './commands.ts';

/**
 * PGlite allows one process. While the server runs on the embedded database, the CLI sends its command
 * over a Unix socket in DATA_DIR that only the owner can open, and the server runs it.
 */
export const socketPath = (dataDir: string) => path.resolve(dataDir, 'control.sock');

const MAX_REQUEST = 1024 * 1024;

export async function listenControl(
  dataDir: string,
  run: (argv: string[], stdin: string | undefined) => Promise<CommandResult>,
): Promise<net.Server> {
  const file = socketPath(dataDir);
  if (fs.existsSync(file)) {
    if (await isLive(file)) throw new Error(`another Tobira server is using ${dataDir}`);
    fs.rmSync(file);
  }
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', async (chunk) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST) return sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      sock.pause();
      let reply: CommandResult;
      try {
        const req = JSON.parse(buf.slice(0, nl)) as { argv: unknown; stdin?: unknown };
        if (!Array.isArray(req.argv) || !req.argv.every((a) => typeof a === 'string'))
          throw new Error('bad request');
        reply = await run(req.argv, typeof req.stdin === 'string' ? req.stdin : undefined);
      } catch (err) {
        reply = { code: 1, stdout: '', stderr: `tobira: ${(err as Error).message}\n` };
      }
      sock.end(`${JSON.stringify(reply)}\n`);
    });
    sock.on('error', () => {});
  });
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  fs.chmodSync(file, 0o600);
  return server;
}

function isLive(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(file);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Returns undefined when no server is listening (the CLI then opens the database itself). */
export async function sendControl(
  dataDir: string,
  argv: string[],
  stdin: string | undefined,
): Promise<CommandResult | undefined> {
  const file = socketPath(dataDir);
  if (!fs.existsSync(file)) return undefined;
  return new Promise((resolve, reject) => {
    const s = net.connect(file);
    let buf = '';
    let connected = false;
    s.setEncoding('utf8');
    s.once('connect', () => {
      connected = true;
      s.write(`${JSON.stringify({ argv, stdin })}\n`);
    });
    s.on('data', (d) => {
      buf += d;
    });
    s.once('end', () => {
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new Error('the running server gave no answer'));
      }
    });
    s.once('error', (err) => (connected ? reject(err) : resolve(undefined)));
  });
}

import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const APACHE = '/usr/sbin/apache2';
export const MOD_AUTH_OPENIDC = '/usr/lib/apache2/modules/mod_auth_openidc.so';
const MODULES = '/usr/lib/apache2/modules';

/** A free loopback port (closed again before Apache binds it). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once something accepts connections on the port (Apache has bound it). */
async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`apache2 exited (${child.exitCode}):\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ApacheRp {
  /** http://127.0.0.1:PORT */
  base: string;
  /** The protected page: answers with the user's claims in X-* headers once signed in. */
  protectedUrl: string;
  redirectUri: string;
  backchannelUri: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Apache httpd with mod_auth_openidc as a relying party, on a loopback port, configured from a
 * generated file in a temporary directory and run as a child process (as `nobody` when the tests
 * run as root, so the web server itself never has root rights).
 */
export async function startApacheRp(opts: {
  issuer: string;
  clientId: string;
  clientSecret: string;
  port?: number;
  scope?: string;
}): Promise<ApacheRp> {
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tobira-apache-'));
  const base = `http://127.0.0.1:${port}`;
  const redirectUri = `${base}/protected/redirect_uri`;
  fs.mkdirSync(path.join(dir, 'htdocs/protected'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'htdocs/protected/index.html'), 'protected content\n');
  fs.writeFileSync(path.join(dir, 'htdocs/loggedout.html'), 'logged out\n');
  const mods = ['mpm_prefork', 'authn_core', 'authz_core', 'authz_user', 'headers', 'auth_openidc'];
  const conf = [
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}"`,
    `PidFile "${dir}/httpd.pid"`,
    `ErrorLog "${dir}/error.log"`,
    `LogLevel warn auth_openidc:${process.env.TEST_APACHE_LOG ?? 'info'}`,
    `Listen 127.0.0.1:${port}`,
    'ServerName 127.0.0.1',
    ...mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
    'StartServers 1',
    'MinSpareServers 1',
    'MaxSpareServers 2',
    `DocumentRoot "${dir}/htdocs"`,
    `OIDCProviderMetadataURL ${opts.issuer}/.well-known/openid-configuration`,
    `OIDCClientID ${opts.clientId}`,
    `OIDCClientSecret ${opts.clientSecret}`,
    `OIDCRedirectURI ${redirectUri}`,
    'OIDCCryptoPassphrase tobira-test-passphrase-not-secret',
    `OIDCScope "${opts.scope ?? 'openid profile email offline_access'}"`,
    'OIDCAuthRequestParams prompt=consent',
    'OIDCPKCEMethod S256',
    'OIDCRemoteUserClaim preferred_username',
    'OIDCInfoHook access_token refresh_token userinfo id_token session',
    'OIDCSSLValidateServer Off',
    '<Location /protected>',
    '  AuthType openid-connect',
    '  Require valid-user',
    // The test's browser is fetch(), which always sends Sec-Fetch-Mode: cors; detect scripts by
    // X-Requested-With alone, as the module's documentation shows.
    `  OIDCUnAuthAction 401 "%{HTTP:X-Requested-With} == 'XMLHttpRequest'"`,
    '  Header always set X-Sub "%{OIDC_CLAIM_sub}e"',
    '  Header always set X-Email "%{OIDC_CLAIM_email}e"',
    '  Header always set X-User "expr=%{REMOTE_USER}"',
    '</Location>',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'httpd.conf'), conf);
  const root = process.getuid?.() === 0;
  if (root) {
    for (const p of [dir, path.join(dir, 'htdocs'), path.join(dir, 'htdocs/protected')])
      fs.chownSync(p, 65534, 65534);
  }
  const child = spawn(APACHE, ['-f', path.join(dir, 'httpd.conf'), '-DFOREGROUND'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(root ? { uid: 65534, gid: 65534 } : {}),
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const errorLog = () => {
    try {
      return `${out}\n${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`;
    } catch {
      return out;
    }
  };
  await listening(port, child, errorLog);
  return {
    base,
    protectedUrl: `${base}/protected/index.html`,
    redirectUri,
    backchannelUri: `${redirectUri}?logout=backchannel`,
    errorLog,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

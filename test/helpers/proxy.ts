import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An ordinary reverse proxy, as nginx does it with `proxy_set_header X-Forwarded-For
 * $proxy_add_x_forwarded_for`: it forwards every request to `target` and appends the address it was
 * reached from to whatever X-Forwarded-For the client sent. With `realIpHeader` it also overwrites
 * that header with the address (`proxy_set_header X-Real-IP $remote_addr`).
 */
export async function startAppendingProxy(opts: { realIpHeader?: string } = {}) {
  let target = '';
  const server = http.createServer((req, res) => {
    const peer = req.socket.remoteAddress ?? '';
    const headers = { ...req.headers };
    const xff = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${peer}` : peer;
    headers['x-forwarded-proto'] = 'http';
    if (opts.realIpHeader) headers[opts.realIpHeader.toLowerCase()] = peer;
    const up = http.request(new URL(req.url ?? '/', target), { method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    setTarget(url: string) {
      target = url;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

import net from 'node:net';

/** Parses "10.0.0.0/8" or a single address; undefined when it is not a network. */
export function parseCidr(s: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | undefined {
  const [addr, bits, ...rest] = s.trim().split('/');
  if (rest.length) return undefined;
  const v = net.isIP(addr);
  if (!v) return undefined;
  const max = v === 4 ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { address: addr, prefix, type: v === 4 ? 'ipv4' : 'ipv6' };
}

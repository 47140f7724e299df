import crypto from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests that cannot drive a browser: an EC P-256 key, a
 * 'none' attestation for registration and signed assertions, built the way an authenticator and a
 * browser would (WebAuthn Level 2 §6.1, §6.5, §5.8.1).
 */

// --- a tiny CBOR encoder (RFC 8949): unsigned/negative ints, byte strings, text, arrays, maps ---

export type CborValue = number | string | Uint8Array | CborValue[] | Map<CborValue, CborValue> | boolean;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  }
  if (n < 0x100000000) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

export function cbor(v: CborValue): Buffer {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error('only integers are supported');
    return v >= 0 ? head(0, v) : head(1, -1 - v);
  }
  if (typeof v === 'boolean') return Buffer.from([v ? 0xf5 : 0xf4]);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  const parts: Buffer[] = [head(5, v.size)];
  for (const [k, val] of v) parts.push(cbor(k), cbor(val));
  return Buffer.concat(parts);
}

// --- the authenticator ---

const sha256 = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest();
const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface CeremonyOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  /** The RP id hashed into authenticatorData (defaults to the options' rp id). */
  rpId?: string;
  /** User verification performed (UV flag). */
  uv?: boolean;
  /** Override the challenge (to replay an old one). */
  challenge?: string;
  /** Override the signature counter reported. */
  counter?: number;
}

export class SoftAuthenticator {
  readonly credentialId: Buffer;
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: crypto.KeyObject;
  readonly aaguid: Buffer;
  /** Backup eligible/state: a synced passkey rather than a device-bound key. */
  readonly synced: boolean;
  counter = 0;
  userHandle: string | undefined;

  constructor(opts: { synced?: boolean; aaguid?: Buffer } = {}) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.credentialId = crypto.randomBytes(32);
    this.aaguid = opts.aaguid ?? Buffer.alloc(16);
    this.synced = opts.synced ?? false;
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  /** The COSE_Key (RFC 9053) of the public key: EC2, ES256, P-256. */
  coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<CborValue, CborValue>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
  }

  authData(rpId: string, flags: number, counter: number, attested: boolean): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter >>> 0);
    const parts: Buffer[] = [sha256(rpId), Buffer.from([flags]), count];
    if (attested) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(this.credentialId.length);
      parts.push(this.aaguid, len, this.credentialId, this.coseKey());
    }
    return Buffer.concat(parts);
  }

  flags(uv: boolean, attested: boolean): number {
    let f = FLAG.UP;
    if (uv) f |= FLAG.UV;
    if (this.synced) f |= FLAG.BE | FLAG.BS;
    if (attested) f |= FLAG.AT;
    return f;
  }

  /** What `startRegistration()` would return for these creation options. */
  register(optionsJSON: any, o: CeremonyOptions) {
    const rpId = o.rpId ?? optionsJSON.rp.id;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: o.challenge ?? optionsJSON.challenge,
        origin: o.origin,
        crossOrigin: false,
      }),
    );
    const authData = this.authData(rpId, this.flags(o.uv ?? true, true), o.counter ?? this.counter, true);
    const attestationObject = cbor(
      new Map<CborValue, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    this.userHandle = optionsJSON.user?.id;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['usb'],
        publicKeyAlgorithm: -7,
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'cross-platform',
    };
  }

  /** What `startAuthentication()` would return for these request options; bumps the counter. */
  authenticate(optionsJSON: any, o: CeremonyOptions) {
    const rpId = o.rpId ?? optionsJSON.rpId;
    this.counter = o.counter ?? this.counter + 1;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: o.challenge ?? optionsJSON.challenge,
        origin: o.origin,
        crossOrigin: false,
      }),
    );
    const authData = this.authData(rpId, this.flags(o.uv ?? true, false), this.counter, false);
    const signature = crypto.sign(
      'sha256',
      Buffer.concat([authData, sha256(clientDataJSON)]),
      this.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'cross-platform',
    };
  }
}

/**
 * Device credentials. A generated secret is 256 random bits: guessing is hopeless, so SHA-256 at rest is
 * enough and keeps verification at a microsecond (10,000 HTTP requests/s). A human-chosen password gets
 * scrypt (RFC 7914), whose cost is paid once per credential: verified credentials are cached by digest.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export type SecretScheme = 'sha256' | 'scrypt';

/** Generated device secrets carry a prefix so they are recognisable in a leaked config (and by secret scanners). */
export const SECRET_PREFIX = 'smd_';
const SECRET_PATTERN = /^smd_[A-Za-z0-9_-]{43}$/;

// scrypt cost: N=2^15, r=8 (32 MiB, ~50-100 ms on a gateway CPU); paid at most once per distinct credential.
const SCRYPT = { N: 32_768, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 } as const;

export function generateSecret(random: (n: number) => Buffer = randomBytes): string {
  return `${SECRET_PREFIX}${random(32).toString('base64url')}`;
}

export function looksLikeGeneratedSecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

function scryptAsync(password: string | Buffer, salt: Buffer, params: { N: number; r: number; p: number; keylen: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, params.keylen, { N: params.N, r: params.r, p: params.p, maxmem: SCRYPT.maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url), self-describing so the cost can be raised without breaking old entries. */
export async function hashPassword(password: string, random: (n: number) => Buffer = randomBytes): Promise<string> {
  const salt = random(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const params = { N: Number(n), r: Number(r), p: Number(p), keylen: expected.length };
  if (!Number.isInteger(params.N) || !Number.isInteger(params.r) || !Number.isInteger(params.p) || expected.length === 0) return false;
  const key = await scryptAsync(password, Buffer.from(saltText, 'base64url'), params);
  return timingSafeEqual(key, expected);
}

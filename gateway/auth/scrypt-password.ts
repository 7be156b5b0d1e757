/**
 * Human-chosen passwords (device passwords, the status page's technician password) at rest: scrypt (RFC 7914) in a
 * self-describing `scrypt$N$r$p$<salt>$<hash>` string (base64url; standard base64 from older hashes verifies too),
 * so the cost can be raised without breaking stored entries. The cost is paid once per credential: callers cache
 * what they verified.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

export interface ScryptCost { N: number; r: number; p: number }

// N=2^15, r=8: 32 MiB and ~50-100 ms on a gateway CPU.
const DEFAULT_COST: ScryptCost = { N: 32_768, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MAXMEM = 64 * 1024 * 1024;

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=_-]+\$[A-Za-z0-9+/=_-]+$/;

function scryptAsync(password: string | Buffer, salt: Buffer, keylen: number, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { ...cost, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function format(cost: ScryptCost, salt: Buffer, key: Buffer): string {
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  return format(cost, salt, await scryptAsync(password, salt, KEY_LENGTH, cost));
}

/** For a password given in clear in the config: hashed once at start so it is not kept in clear in memory. */
export function hashPasswordSync(password: string, cost: ScryptCost = DEFAULT_COST): string {
  const salt = randomBytes(16);
  return format(cost, salt, scryptSync(password, salt, KEY_LENGTH, { ...cost, maxmem: MAXMEM }));
}

export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashText, 'base64url');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Number.isInteger(cost.N) || !Number.isInteger(cost.r) || !Number.isInteger(cost.p) || expected.length === 0) return false;
  const key = await scryptAsync(password, Buffer.from(saltText, 'base64url'), expected.length, cost);
  return timingSafeEqual(key, expected);
}

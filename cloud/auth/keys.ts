/**
 * API keys: `smk_<id>_<secret>`, where id is 12 hex characters (public, names the key in lists, logs
 * and `keys revoke`) and secret is 256 random bits in base64url. Only SHA-256 of the whole key is stored
 * (a 256-bit random secret needs no slow hash); verification compares digests in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyKind, KeyRecord } from '../store/store.js';

const KEY_PATTERN = /^smk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** At most this many live keys per gateway: the current one and its replacement during a rotation. */
export const MAX_LIVE_KEYS_PER_GATEWAY = 2;

export interface NewKey {
  /** The secret key: shown once, never stored. */
  key: string;
  record: KeyRecord;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateKey(
  kind: KeyKind,
  gatewayId: string | null,
  now: number,
  label: string | null = null,
  random: (n: number) => Buffer = randomBytes,
): NewKey {
  if ((kind === 'gateway') !== (gatewayId !== null)) throw new Error('a gateway key needs a gatewayId; an operator key has none');
  const id = random(6).toString('hex');
  const key = `smk_${id}_${random(32).toString('base64url')}`;
  return { key, record: { id, kind, gatewayId, hash: hashKey(key), label, createdAt: now, revokedAt: null } };
}

/** The key id, or null if the text is not shaped like a key (no database lookup for garbage). */
export function parseKeyId(key: string): string | null {
  const m = KEY_PATTERN.exec(key);
  return m ? m[1]! : null;
}

/** Constant-time comparison of the presented key's digest with the stored digest. */
export function keyMatches(key: string, storedHashHex: string): boolean {
  const presented = createHash('sha256').update(key).digest();
  const stored = Buffer.from(storedHashHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

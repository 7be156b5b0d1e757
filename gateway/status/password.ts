/**
 * The optional technician password of the status page, stored as an scrypt hash (never the password):
 * `scrypt$N$r$p$<salt base64>$<hash base64>`, kept in http.password (a password given in clear there is hashed at
 * start). `smartmaint status-password` prints a hash for a password read from stdin.
 */
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
const DEFAULT_COST = { N: 16_384, r: 8, p: 1 };

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export const PASSWORD_HASH_PATTERN = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** For a password given in clear in the config: hashed once at start so it is not kept in clear in memory. */
export function hashPasswordSync(password: string, cost = DEFAULT_COST): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH, { ...cost, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const actual = await scrypt(password, salt, expected.length, { N, r, p });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Checks HTTP Basic credentials (any user name, the technician password). Successful headers are remembered
 * for a while (by digest, not in clear) so the page's requests do not each pay a deliberately slow scrypt.
 */
export class PasswordCheck {
  readonly #hash: string;
  readonly #clock: () => number;
  readonly #good = new Map<string, number>();

  /** `secret`: an scrypt hash from hashPassword() (recommended), or the password itself (hashed here, in memory). */
  constructor(secret: string, clock: () => number) {
    this.#hash = PASSWORD_HASH_PATTERN.test(secret) ? secret : hashPasswordSync(secret);
    this.#clock = clock;
  }

  async check(authorization: string | undefined): Promise<boolean> {
    if (!authorization?.startsWith('Basic ')) return false;
    const digest = createHash('sha256').update(authorization).digest('base64');
    const now = this.#clock();
    const until = this.#good.get(digest);
    if (until !== undefined && until > now) return true;
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const ok = await verifyPassword(decoded.slice(colon + 1), this.#hash);
    if (ok) {
      if (this.#good.size > 64) this.#good.clear();
      this.#good.set(digest, now + 10 * 60_000);
    }
    return ok;
  }
}

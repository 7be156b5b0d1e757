/**
 * The optional technician password of the status page, stored as an scrypt hash (never the password, see
 * ../scrypt-password.ts), kept in http.password (a password given in clear there is hashed at start).
 * `smartmaint status-password` prints a hash for a password read from stdin.
 */
import { createHash } from 'node:crypto';
import { hashPasswordSync, PASSWORD_HASH_PATTERN, verifyPassword } from './scrypt-password.js';

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

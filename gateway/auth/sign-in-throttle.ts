/**
 * The sign-in throttle shared by MQTT CONNECT and HTTP credentials (one policy, mqtt.authThrottle):
 * - per source address: after `addressFreeFailures` failures in `windowMs`, every sign-in from that address is
 *   refused without its credentials being checked, for `banMs` doubling per further failure up to `maxBanMs`;
 * - per user name (device id, Basic user) across addresses, with the far higher `userFreeFailures`: once over it,
 *   the user is refused only from addresses that have themselves failed for that user. A guesser spread over
 *   many addresses gets one try per address; an address that never failed (the real device) is still checked,
 *   so failures from one address never lock a correct sign-in out from another.
 * Attempts refused during a ban count as failures, so hammering a ban only lengthens it.
 * Keyed by client id it would let anyone lock a named device out; it is keyed by address and user instead.
 */

/** mqtt.authThrottle of the gateway config (gateway/config/security-config.ts: meanings and defaults live there). */
export interface SignInThrottleConfig {
  userFreeFailures: number;
  addressFreeFailures: number;
  banMs: number;
  maxBanMs: number;
  windowMs: number;
}

/** Most keys tracked at once (oldest forgotten first), so a spray of addresses cannot grow memory. */
export const MAX_TRACKED_KEYS = 10_000;

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  bannedUntil: number;
}

/** Counts failures per key and says when a key is banned. Bounded in size. */
export class FailureCounter {
  readonly #config: Pick<SignInThrottleConfig, 'banMs' | 'maxBanMs' | 'windowMs'>;
  readonly #clock: () => number;
  readonly #maxKeys: number;
  readonly #records = new Map<string, FailureRecord>();

  constructor(config: Pick<SignInThrottleConfig, 'banMs' | 'maxBanMs' | 'windowMs'>, clock: () => number, maxKeys = MAX_TRACKED_KEYS) {
    this.#config = config;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  get trackedKeys(): number {
    return this.#records.size;
  }

  /** Milliseconds the key is still banned for (0: not banned). */
  bannedFor(key: string): number {
    const rec = this.#fresh(key);
    return rec ? Math.max(0, rec.bannedUntil - this.#clock()) : 0;
  }

  /** Failures remembered for the key (0 once forgotten). */
  failures(key: string): number {
    return this.#fresh(key)?.failures ?? 0;
  }

  recordFailure(key: string, freeFailures: number): void {
    const now = this.#clock();
    const rec = this.#fresh(key) ?? { failures: 0, lastFailureAt: now, bannedUntil: 0 };
    rec.failures++;
    rec.lastFailureAt = now;
    const over = rec.failures - freeFailures;
    if (over > 0) {
      rec.bannedUntil = now + Math.min(this.#config.maxBanMs, this.#config.banMs * 2 ** Math.min(over - 1, 30));
    }
    // Re-insert so Map order is least-recently-failed first; evict from the front when full.
    this.#records.delete(key);
    this.#records.set(key, rec);
    while (this.#records.size > this.#maxKeys) {
      const oldest = this.#records.keys().next().value as string;
      this.#records.delete(oldest);
    }
  }

  forget(key: string): void {
    this.#records.delete(key);
  }

  #fresh(key: string): FailureRecord | undefined {
    const rec = this.#records.get(key);
    if (rec === undefined) return undefined;
    const now = this.#clock();
    if (now - rec.lastFailureAt > this.#config.windowMs && now >= rec.bannedUntil) {
      this.#records.delete(key);
      return undefined;
    }
    return rec;
  }
}

export class SignInThrottle {
  readonly counter: FailureCounter;
  readonly #config: SignInThrottleConfig;

  constructor(config: SignInThrottleConfig, clock: () => number, maxKeys = MAX_TRACKED_KEYS) {
    this.#config = config;
    this.counter = new FailureCounter(config, clock, maxKeys);
  }

  /** Milliseconds this attempt must wait (0: check its credentials). */
  refusedFor(address: string, user?: string): number {
    const byAddress = this.counter.bannedFor(addressKey(address));
    if (byAddress > 0) return byAddress;
    if (user === undefined || user === '') return 0;
    const byUser = this.counter.bannedFor(userKey(user));
    return byUser > 0 && this.counter.failures(pairKey(user, address)) > 0 ? byUser : 0;
  }

  /** An attempt refused by refusedFor(): it counts as a failure. */
  refused(address: string, user?: string): void {
    this.failed(address, user);
  }

  failed(address: string, user?: string): void {
    this.counter.recordFailure(addressKey(address), this.#config.addressFreeFailures);
    if (user === undefined || user === '') return;
    this.counter.recordFailure(userKey(user), this.#config.userFreeFailures);
    this.counter.recordFailure(pairKey(user, address), Number.MAX_SAFE_INTEGER);
  }

  /**
   * A correct sign-in clears only this address's mark against the user: the address's own count and the user's
   * count stay, so a guesser holding one valid credential cannot reset them.
   */
  succeeded(address: string, user?: string): void {
    if (user !== undefined && user !== '') this.counter.forget(pairKey(user, address));
  }
}

function addressKey(address: string): string {
  return `a\u0000${address}`;
}

function userKey(user: string): string {
  return `u\u0000${user}`;
}

function pairKey(user: string, address: string): string {
  return `p\u0000${address}\u0000${user}`;
}

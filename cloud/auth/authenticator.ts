/**
 * Turns the key on a request into a principal, or into a refusal with a reason. Key records are cached
 * for `cacheTtlMs` (hits and misses), so a revocation made by any instance or by `smartmaint keys revoke`
 * is refused everywhere within that time without a database round trip per request.
 */
import type { Logger } from '../../shared/logger.js';
import type { CloudStore, KeyKind, KeyRecord } from '../store/store.js';
import { keyMatches, parseKeyId } from './keys.js';

export interface Principal {
  keyId: string;
  kind: KeyKind;
  gatewayId: string | null;
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401; reason: 'missing' | 'malformed' | 'unknown' | 'wrong-secret'; gatewayId: string | null }
  | { ok: false; status: 403; reason: 'revoked'; gatewayId: string | null };

export interface AuthenticatorOptions {
  store: CloudStore;
  cacheTtlMs: number;
  clock: () => number;
  log: Logger;
  /** Most keys cached at once (unknown ids included); oldest dropped first. */
  maxCached?: number;
}

interface Cached {
  record: KeyRecord | null;
  until: number;
}

/** The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.length > 0) return x.trim();
  return undefined;
}

export class Authenticator {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<KeyRecord | null>>();
  private readonly maxCached: number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.maxCached = options.maxCached ?? 50_000;
  }

  async authenticate(key: string | undefined): Promise<AuthOutcome> {
    if (key === undefined) return { ok: false, status: 401, reason: 'missing', gatewayId: null };
    const id = parseKeyId(key);
    if (id === null) return { ok: false, status: 401, reason: 'malformed', gatewayId: null };
    const record = await this.lookup(id);
    if (record === null) return { ok: false, status: 401, reason: 'unknown', gatewayId: null };
    if (!keyMatches(key, record.hash)) return { ok: false, status: 401, reason: 'wrong-secret', gatewayId: record.gatewayId };
    if (record.revokedAt !== null) return { ok: false, status: 403, reason: 'revoked', gatewayId: record.gatewayId };
    return { ok: true, principal: { keyId: record.id, kind: record.kind, gatewayId: record.gatewayId } };
  }

  /** Forget a cached record at once (this instance revoked it). */
  invalidate(id: string): void {
    this.cache.delete(id);
  }

  private lookup(id: string): Promise<KeyRecord | null> | KeyRecord | null {
    const now = this.options.clock();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.record;
    // Concurrent requests for the same uncached key share one query.
    const pending = this.inflight.get(id);
    if (pending) return pending;
    const p = this.options.store
      .findKey(id)
      .then((record) => {
        if (this.cache.size >= this.maxCached) {
          const oldest = this.cache.keys().next();
          if (!oldest.done) this.cache.delete(oldest.value);
        }
        this.cache.delete(id);
        this.cache.set(id, { record, until: this.options.clock() + this.options.cacheTtlMs });
        return record;
      })
      .finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }
}

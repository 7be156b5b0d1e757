/**
 * Idempotency-Key handling for POST /api/v1/data/ingest (draft-ietf-httpapi-idempotency-key-header):
 * the first request with a key is processed; a repeat within the window with the same body gets the stored
 * answer (and stores nothing); the same key with a different body is 422; the same key while the first request
 * is still in flight is 409. Keys are scoped per device. The stored records live in the outbox (HttpEventStore),
 * committed with the readings, so they survive a restart; only the in-flight set is in memory.
 */
import { createHash } from 'node:crypto';
import type { HttpEventStore } from '../../outbox/http-events.js';

export type IdempotencyDecision =
  | { kind: 'proceed'; release: () => void }
  | { kind: 'replay'; response: string }
  | { kind: 'conflict'; status: 409 | 422; message: string };

/** Keys are opaque to the server; bounded so a header cannot grow the index without limit. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body) ?? '').digest('hex');
}

export class IdempotencyKeys {
  readonly #store: HttpEventStore;
  readonly #windowMs: number;
  readonly #clock: () => number;
  readonly #inflight = new Map<string, string>();

  constructor(deps: { store: HttpEventStore; windowMs: number; clock: () => number }) {
    this.#store = deps.store;
    this.#windowMs = deps.windowMs;
    this.#clock = deps.clock;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  begin(deviceId: string, key: string, hash: string): IdempotencyDecision {
    const slot = `${deviceId}\u0000${key}`;
    const running = this.#inflight.get(slot);
    if (running !== undefined) {
      return running === hash
        ? { kind: 'conflict', status: 409, message: 'a request with this Idempotency-Key is still being processed' }
        : { kind: 'conflict', status: 422, message: 'this Idempotency-Key was used with a different request body' };
    }
    const stored = this.#store.findIdempotency(deviceId, key, this.#clock() - this.#windowMs);
    if (stored !== undefined) {
      if (stored.requestHash !== hash) return { kind: 'conflict', status: 422, message: 'this Idempotency-Key was used with a different request body' };
      return { kind: 'replay', response: stored.response };
    }
    this.#inflight.set(slot, hash);
    return { kind: 'proceed', release: () => this.#inflight.delete(slot) };
  }

  /** Drop records past the window (a periodic job of the owning component). */
  prune(): Promise<number> {
    return this.#store.pruneIdempotency(this.#clock() - this.#windowMs);
  }
}

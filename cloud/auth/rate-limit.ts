/**
 * Per-key token buckets: `requestsPerSecond` sustained, `burst` at once. Per instance (each instance
 * behind a load balancer grants its own budget; documented). The map is bounded: idle full buckets are
 * dropped when it grows.
 */
export interface RateLimitOptions {
  requestsPerSecond: number;
  burst: number;
  clock: () => number;
  maxTracked?: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTracked: number;

  constructor(private readonly options: RateLimitOptions) {
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  take(key: string): RateDecision {
    const { requestsPerSecond: rate, burst, clock } = this.options;
    if (rate <= 0) return { ok: true };
    const now = clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) this.sweep(now);
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / rate)) };
  }

  private sweep(now: number): void {
    const { requestsPerSecond: rate, burst } = this.options;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * rate >= burst) this.buckets.delete(k);
    }
    // Still full of active keys: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxTracked) {
      let drop = Math.floor(this.buckets.size / 2);
      for (const k of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(k);
      }
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}

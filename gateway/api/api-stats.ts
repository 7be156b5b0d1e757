/**
 * Latency samples and event rates for /api/v1/metrics/performance: exact percentiles over the most recent
 * samples (a ring buffer) and per-second counts over the last minute. O(1) to record on the hot path.
 */
export class LatencyReservoir {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;
  #total = 0;

  constructor(capacity = 8_192) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
    this.#total++;
  }

  /** Percentiles (nearest rank) of the retained samples, in ms; null when there are none. */
  summary(): { count: number; window: number; p50: number | null; p95: number | null; p99: number | null; max: number | null } {
    const n = this.#count;
    if (n === 0) return { count: this.#total, window: 0, p50: null, p95: null, p99: null, max: null };
    const sorted = this.#samples.slice(0, n).sort();
    const at = (q: number): number => round3(sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
    return { count: this.#total, window: n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round3(sorted[n - 1]!) };
  }
}

export class RateCounter {
  readonly #buckets = new Float64Array(61);
  readonly #clock: () => number;
  #second = 0;
  #total = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  add(n = 1): void {
    this.#advance();
    this.#buckets[this.#second % this.#buckets.length]! += n;
    this.#total += n;
  }

  get total(): number {
    return this.#total;
  }

  /** Mean events per second over the last `seconds` complete seconds (≤ 60). */
  perSecond(seconds = 10): number {
    this.#advance();
    const s = Math.min(60, Math.max(1, seconds));
    let sum = 0;
    for (let i = 1; i <= s; i++) sum += this.#buckets[(this.#second - i + this.#buckets.length * 2) % this.#buckets.length]!;
    return round3(sum / s);
  }

  /** Highest one-second count within the last minute. */
  peakPerSecond(): number {
    this.#advance();
    let max = 0;
    for (let i = 1; i < this.#buckets.length; i++) max = Math.max(max, this.#buckets[(this.#second - i + this.#buckets.length * 2) % this.#buckets.length]!);
    return max;
  }

  #advance(): void {
    const now = Math.floor(this.#clock() / 1000);
    if (this.#second === 0) this.#second = now;
    if (now <= this.#second) return;
    const steps = Math.min(now - this.#second, this.#buckets.length);
    for (let i = 1; i <= steps; i++) this.#buckets[(this.#second + i) % this.#buckets.length] = 0;
    this.#second = now;
  }
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

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

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Events per second in one-second buckets over the last minute: the stored-readings rate (status page, heartbeats,
 * /api/v1/metrics/performance) and the origin API's request rates.
 */
import { round3 } from '../metrics/api-stats.js';

export class RateMeter {
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

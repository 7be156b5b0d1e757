/** Readings per second over a sliding window of one-second buckets (for the status page and heartbeats). */
export class RateMeter {
  readonly #clock: () => number;
  readonly #windowS: number;
  readonly #buckets: Float64Array;
  #second = 0;

  constructor(options: { clock: () => number; windowS?: number }) {
    this.#clock = options.clock;
    this.#windowS = options.windowS ?? 10;
    this.#buckets = new Float64Array(this.#windowS + 1);
  }

  add(count: number): void {
    this.#advance();
    this.#buckets[this.#second % this.#buckets.length]! += count;
  }

  /** Mean rate over the last full window seconds. */
  rate(): number {
    this.#advance();
    let sum = 0;
    const current = this.#second % this.#buckets.length;
    for (let i = 0; i < this.#buckets.length; i++) if (i !== current) sum += this.#buckets[i]!;
    return sum / this.#windowS;
  }

  #advance(): void {
    const now = Math.floor(this.#clock() / 1000);
    if (this.#second === 0) this.#second = now;
    if (now - this.#second >= this.#buckets.length) this.#buckets.fill(0);
    else for (let s = this.#second + 1; s <= now; s++) this.#buckets[s % this.#buckets.length] = 0;
    this.#second = now;
  }
}

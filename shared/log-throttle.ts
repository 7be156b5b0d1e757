/**
 * Lets a repeated warning through once per key per interval, so one misbehaving device cannot flood the log.
 * The count of suppressed repeats is reported with the next one let through.
 */
export class LogThrottle {
  readonly #intervalMs: number;
  readonly #clock: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  readonly #maxKeys: number;

  constructor(options: { intervalMs: number; clock: () => number; maxKeys?: number }) {
    this.#intervalMs = options.intervalMs;
    this.#clock = options.clock;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Returns the number of suppressed repeats since the last one let through, or -1 to stay quiet. */
  admit(key: string): number {
    const now = this.#clock();
    const entry = this.#last.get(key);
    if (entry !== undefined && now - entry.at < this.#intervalMs) {
      entry.suppressed++;
      return -1;
    }
    if (entry === undefined && this.#last.size >= this.#maxKeys) this.#last.clear();
    const suppressed = entry?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}

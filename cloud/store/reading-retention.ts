/**
 * Deletes stored readings older than retention.readingsMaxAgeMs, in chunks, on a timer it owns. A pass that finds
 * a full chunk goes on with the next one at once (after yielding), so a large first prune neither waits an interval
 * per chunk nor holds the database in one long statement.
 */
import type { Logger } from 'pino';
import type { CloudStore } from './store.js';

export interface RetentionConfig {
  readingsMaxAgeMs: number | null;
  pruneIntervalMs: number;
  pruneChunkRows: number;
}

export class ReadingRetention {
  readonly #store: CloudStore;
  readonly #config: RetentionConfig;
  readonly #log: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: { store: CloudStore; config: RetentionConfig; log: Logger; clock: () => number }) {
    this.#store = deps.store;
    this.#config = deps.config;
    this.#log = deps.log;
    this.#clock = deps.clock;
  }

  start(): void {
    if (this.#config.readingsMaxAgeMs === null || this.#timer) return;
    this.#stopped = false;
    this.#timer = setInterval(() => {
      this.#running ??= this.prune().then(() => undefined).finally(() => { this.#running = undefined; });
    }, this.#config.pruneIntervalMs);
    this.#timer.unref();
  }

  /** One pass: every reading older than the limit, chunk by chunk. Resolves with how many were deleted. */
  async prune(): Promise<number> {
    const maxAge = this.#config.readingsMaxAgeMs;
    if (maxAge === null) return 0;
    const before = this.#clock() - maxAge;
    let total = 0;
    try {
      for (;;) {
        const n = await this.#store.pruneReadings(before, this.#config.pruneChunkRows);
        total += n;
        if (n < this.#config.pruneChunkRows || this.#stopped) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.#log.info({ deleted: total, olderThan: new Date(before).toISOString() }, 'old readings pruned');
    } catch (err) {
      this.#log.warn({ err }, 'reading retention failed; retrying next interval');
    }
    return total;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

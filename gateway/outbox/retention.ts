/**
 * Prunes synced readings (and their scores) older than the retention, in small transactions on a timer, so
 * pruning never holds the write lock long enough to stall ingestion's group commits. The pass itself runs on the
 * writer thread (`retentionWrites`), between group commits.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';

export interface RetentionConfig {
  syncedMaxAgeMs: number;
  pruneIntervalMs: number;
  pruneChunkRows: number;
}

/**
 * The writer thread's half: deletes chunks from the oldest end until nothing is due or `budgetMs` is spent;
 * returns rows deleted. Only the range below the oldest pending reading is considered (everything there is
 * synced), and each chunk is a seq range, so a pass costs O(chunk) whatever the size of the table.
 */
export function retentionWrites(db: Database.Database): (cutoff: number, chunkRows: number, budgetMs: number) => number {
  const oldest = db.prepare('SELECT seq, received_at FROM readings ORDER BY seq LIMIT 1');
  const oldestPending = db.prepare('SELECT min(seq) AS seq FROM readings WHERE synced = 0');
  const deleteReadings = db.prepare('DELETE FROM readings WHERE seq BETWEEN ? AND ? AND synced <> 0 AND received_at < ?');
  const deleteScores = db.prepare('DELETE FROM scores WHERE seq BETWEEN ? AND ?');
  const chunk = db.transaction((from: number, upTo: number, cutoff: number): number => {
    const d = deleteReadings.run(from, upTo, cutoff).changes;
    deleteScores.run(from, upTo);
    return d;
  });
  return (cutoff, chunkRows, budgetMs) => {
    const started = Date.now();
    let total = 0;
    for (;;) {
      const first = oldest.get() as { seq: number; received_at: number } | undefined;
      if (!first || first.received_at >= cutoff) break;
      const pending = (oldestPending.get() as { seq: number | null }).seq;
      const upTo = Math.min(pending === null ? Number.MAX_SAFE_INTEGER : pending - 1, first.seq + chunkRows - 1);
      if (upTo < first.seq) break; // the oldest reading is still pending
      const deleted = chunk(first.seq, upTo, cutoff);
      total += deleted;
      if (deleted === 0 || Date.now() - started >= budgetMs) break;
    }
    return total;
  };
}

export class RetentionPruner {
  readonly #outbox: Outbox;
  readonly #config: RetentionConfig;
  readonly #log: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #pruned = 0;

  constructor(deps: { outbox: Outbox; config: RetentionConfig; log: Logger; clock: () => number }) {
    this.#outbox = deps.outbox;
    this.#config = deps.config;
    this.#log = deps.log;
    this.#clock = deps.clock;
  }

  get pruned(): number {
    return this.#pruned;
  }

  start(): void {
    this.#started = true;
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.pruneOnce(20).catch((err: unknown) => this.#log.warn({ err }, 'retention pruning failed; will try again'))
        .finally(() => { if (this.#started) this.#schedule(); });
    }, this.#config.pruneIntervalMs);
    this.#timer.unref();
  }

  /** One pass (see retentionWrites) on the writer thread; resolves with the rows deleted. */
  async pruneOnce(budgetMs: number, cutoff = this.#clock() - this.#config.syncedMaxAgeMs): Promise<number> {
    if (!this.#started || !this.#outbox.isOpen) return 0;
    const total = await this.#outbox.writer.prune(cutoff, this.#config.pruneChunkRows, budgetMs);
    if (total > 0) {
      this.#pruned += total;
      this.#outbox.noteDeleted(total);
      this.#log.debug({ deleted: total }, 'pruned synced readings past retention');
    }
    return total;
  }

  stop(): void {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Prunes synced readings (and their scores) older than the retention, in small transactions on a timer, so
 * pruning never holds the write lock long enough to stall ingestion's group commits.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { databaseOf, type Outbox } from './outbox.js';

export interface RetentionConfig {
  syncedMaxAgeMs: number;
  pruneIntervalMs: number;
  pruneChunkRows: number;
}

export class RetentionPruner {
  readonly #outbox: Outbox;
  readonly #config: RetentionConfig;
  readonly #log: Logger;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stmts: Record<'oldest' | 'oldestPending' | 'deleteReadings' | 'deleteScores', Database.Statement<unknown[]>> | undefined;
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
    const db = databaseOf(this.#outbox);
    this.#stmts = {
      oldest: db.prepare('SELECT seq, received_at FROM readings ORDER BY seq LIMIT 1'),
      oldestPending: db.prepare('SELECT min(seq) AS seq FROM readings WHERE synced = 0'),
      deleteReadings: db.prepare('DELETE FROM readings WHERE seq BETWEEN ? AND ? AND synced <> 0 AND received_at < ?'),
      deleteScores: db.prepare('DELETE FROM scores WHERE seq BETWEEN ? AND ?'),
    };
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      try {
        this.pruneOnce(20);
      } catch (err) {
        this.#log.warn({ err }, 'retention pruning failed; will try again');
      }
      this.#schedule();
    }, this.#config.pruneIntervalMs);
    this.#timer.unref();
  }

  /**
   * Deletes chunks from the oldest end until nothing is due or `budgetMs` is spent; returns rows deleted.
   * Only the range below the oldest pending reading is considered (everything there is synced), and each chunk is
   * a seq range, so a pass costs O(chunk) whatever the size of the table.
   */
  pruneOnce(budgetMs: number, cutoff = this.#clock() - this.#config.syncedMaxAgeMs): number {
    const s = this.#stmts;
    if (!s || !this.#outbox.isOpen) return 0;
    const db = databaseOf(this.#outbox);
    const started = Date.now();
    let total = 0;
    for (;;) {
      const oldest = s.oldest.get() as { seq: number; received_at: number } | undefined;
      if (!oldest || oldest.received_at >= cutoff) break;
      const pending = (s.oldestPending.get() as { seq: number | null }).seq;
      const upTo = Math.min(pending === null ? Number.MAX_SAFE_INTEGER : pending - 1, oldest.seq + this.#config.pruneChunkRows - 1);
      if (upTo < oldest.seq) break; // the oldest reading is still pending
      const deleted = db.transaction(() => {
        const d = s.deleteReadings.run(oldest.seq, upTo, cutoff).changes;
        s.deleteScores.run(oldest.seq, upTo);
        return d;
      })();
      total += deleted;
      if (deleted === 0 || Date.now() - started >= budgetMs) break;
    }
    if (total > 0) {
      this.#pruned += total;
      this.#outbox.noteDeleted(total);
      this.#log.debug({ deleted: total }, 'pruned synced readings past retention');
    }
    return total;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Prunes synced readings (and their scores) older than the retention, in small transactions on a timer, so
 * pruning never holds the write lock long enough to stall ingestion's group commits.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Outbox } from './outbox.js';

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
  #stmts: { pick: Database.Statement<unknown[]>; deleteReadings: Database.Statement<unknown[]>; deleteScores: Database.Statement<unknown[]> } | undefined;
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
    const db = this.#outbox.database;
    this.#stmts = {
      // Old rows have low seqs: scanning in seq order finds them first.
      pick: db.prepare('SELECT max(seq) AS upTo, count(*) AS n FROM (SELECT seq FROM readings WHERE synced <> 0 AND received_at < ? ORDER BY seq LIMIT ?)'),
      deleteReadings: db.prepare('DELETE FROM readings WHERE seq <= ? AND synced <> 0 AND received_at < ?'),
      deleteScores: db.prepare('DELETE FROM scores WHERE seq <= ? AND seq NOT IN (SELECT seq FROM readings WHERE seq <= ?)'),
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

  /** Deletes chunks until nothing is due or `budgetMs` is spent; returns rows deleted. */
  pruneOnce(budgetMs: number, cutoff = this.#clock() - this.#config.syncedMaxAgeMs): number {
    const s = this.#stmts;
    if (!s || !this.#outbox.isOpen) return 0;
    const db = this.#outbox.database;
    const started = Date.now();
    let total = 0;
    for (;;) {
      const { upTo, n } = s.pick.get(cutoff, this.#config.pruneChunkRows) as { upTo: number | null; n: number };
      if (!upTo || n === 0) break;
      const deleted = db.transaction(() => {
        const d = s.deleteReadings.run(upTo, cutoff).changes;
        s.deleteScores.run(upTo, upTo);
        return d;
      })();
      total += deleted;
      if (n < this.#config.pruneChunkRows || Date.now() - started >= budgetMs) break;
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

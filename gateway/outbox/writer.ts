/**
 * The outbox's writer thread seen from the main thread: typed calls, each answered once its transaction
 * committed (and, under power-loss durability, was fsynced). Calls are handled in the order they are made.
 */
import type { Logger } from 'pino';
import { StorageError } from '../../shared/errors.js';
import { StoreThread } from '../../shared/store-thread.js';

import { transferList, type PackedEntries } from './packed-entries.js';

import type { WriterOp, WriterSettings, WriterThreadData } from './writer-protocol.js';
import type { FoldResult, GapRow, BatchResult, ScoreRow, AlertRow, SeqRange, SyncOutcome } from './rows.js';

export class OutboxWriter {
  readonly #thread: StoreThread;

  private constructor(thread: StoreThread) {
    this.#thread = thread;
  }

  static async start(data: WriterThreadData, log: Logger): Promise<OutboxWriter> {
    const thread = await StoreThread.start('outbox writer', import.meta.url, 'writer-thread', data,
      (err, msg) => log.error({ err }, msg));
    return new OutboxWriter(thread);
  }

  get running(): boolean {
    return this.#thread.running;
  }

  /** Resolves when the thread has ended, asked to or not. */
  get ended(): Promise<void> {
    return this.#thread.ended;
  }

  async #call<T>(op: WriterOp, args: unknown[], transfer?: ArrayBuffer[]): Promise<T> {
    try {
      return await this.#thread.call(op, args, transfer) as T;
    } catch (err) {
      throw new StorageError(`outbox ${op} failed: ${(err as Error).message}`, err);
    }
  }

  /** One group commit; the packed buffers are transferred (unusable here afterwards). */
  write(p: PackedEntries): Promise<BatchResult> {
    return this.#call('write', [p], transferList(p));
  }

  scores(scores: readonly ScoreRow[], alerts: readonly AlertRow[], from: number, last: number): Promise<void> {
    return this.#call('scores', [scores, alerts, from, last]);
  }

  syncOutcome(outcome: SyncOutcome): Promise<number> {
    return this.#call('sync-outcome', [outcome]);
  }

  prune(cutoff: number, chunkRows: number, budgetMs: number): Promise<number> {
    return this.#call('prune', [cutoff, chunkRows, budgetMs]);
  }

  budgetPruneSynced(chunk: number): Promise<number> {
    return this.#call('budget-prune-synced', [chunk]);
  }

  budgetDrop(ranges: readonly SeqRange[], gap: Omit<GapRow, 'count'>): Promise<number> {
    return this.#call('budget-drop', [ranges, gap]);
  }

  /** Resolves with the rows replaced (-1 when they changed meanwhile: nothing written) and the aggregates' seqs. */
  budgetFold(ranges: readonly SeqRange[], expected: number, aggregates: PackedEntries, gap: Omit<GapRow, 'count'>): Promise<FoldResult> {
    return this.#call('budget-fold', [ranges, expected, aggregates, gap], transferList(aggregates));
  }

  gap(gap: GapRow): Promise<void> {
    return this.#call('gap', [gap]);
  }

  pruneIdempotency(before: number): Promise<number> {
    return this.#call('prune-idempotency', [before]);
  }

  /** A no-op write transaction: shows a read-only or failing disk. */
  probe(): Promise<void> {
    return this.#call('probe', []);
  }

  /** Whether the writer runs WAL checkpoints between commits (off while a checkpoint worker does). */
  setCheckpoints(on: boolean): Promise<void> {
    return this.#call('checkpoints', [on]);
  }

  /** The writer connection's settings: what tests check. */
  settings(): Promise<WriterSettings> {
    return this.#call('settings', []);
  }

  /** Ends the thread at once, as a crash would (fault-injection tests). */
  kill(): Promise<void> {
    return this.#thread.kill();
  }

  /** Finishes every call made so far, folds the WAL in, closes the connection and ends the thread. */
  async close(): Promise<void> {
    if (this.#thread.running) await this.#call('close', []).catch(() => {});
    await this.#thread.stop();
  }
}

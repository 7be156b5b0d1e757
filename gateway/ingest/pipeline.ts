/**
 * Group commit between the broker (and HTTP ingest) and the outbox.
 *
 * A QoS 1 PUBACK (or an HTTP 200) means "on disk": such entries carry a callback that runs only after their
 * transaction committed. Per PERF-NOTES, there is no fixed timer on that path: an entry with a callback
 * schedules a flush on setImmediate, so a commit takes "whatever arrived while the last one ran". QoS 0
 * entries wait at most `flushIntervalMs` or until `maxBatchReadings` rows are queued.
 *
 * A commit returns once SQLite wrote the WAL; callbacks and commit listeners run once the outbox says the commit
 * is durable (after the WAL's next fsync under power-loss durability, which runs off the event loop and is shared
 * by every commit made meanwhile). Listeners therefore never see — and sync never sends — a reading that a power
 * cut could still take back.
 */
import type { Logger } from 'pino';
import { OutboxFullError, ShuttingDownError } from '../../shared/errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';

export type CommitCallback = (err: Error | null) => void;
export type CommitListener = (entries: readonly OutboxEntry[]) => void;

export interface PipelineConfig {
  maxBatchReadings: number;
  flushIntervalMs: number;
}

export interface CommitHealth {
  lastCommitAt: number | null;
  lastError: { at: number; code: string; message: string } | null;
}

export class IngestPipeline {
  readonly #outbox: Outbox;
  readonly #metrics: GatewayMetrics;
  readonly #log: Logger;
  readonly #config: PipelineConfig;
  readonly #clock: () => number;
  #entries: OutboxEntry[] = [];
  #callbacks: Array<CommitCallback | undefined> = [];
  #rows = 0;
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #listeners: CommitListener[] = [];
  #health: CommitHealth = { lastCommitAt: null, lastError: null };
  /** Commits whose durability is awaited, and who waits for there to be none. */
  #awaiting = 0;
  #settledWaiters: Array<() => void> = [];
  /** Set by the disk budget under the reject-new policy: receives the readings it refuses without a callback. */
  #refusing: ((entry: OutboxEntry) => void) | null = null;

  constructor(deps: { outbox: Outbox; metrics: GatewayMetrics; log: Logger; config: PipelineConfig; clock: () => number }) {
    this.#outbox = deps.outbox;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
    this.#config = deps.config;
    this.#clock = deps.clock;
  }

  get health(): CommitHealth {
    return this.#health;
  }

  get queuedRows(): number {
    return this.#rows;
  }

  /** Whether new readings are refused (disk budget, reject-new policy). */
  get refusing(): boolean {
    return this.#refusing !== null;
  }

  /**
   * Refuse new readings (null to accept again). Entries with a callback (QoS 1, HTTP) are told OutboxFullError,
   * so the device keeps the message; the others (QoS 0) go to `onDropped` to be counted and accounted for.
   */
  setRefusing(onDropped: ((entry: OutboxEntry) => void) | null): void {
    this.#refusing = onDropped;
  }

  /** Called after every successful commit with the committed entries (seqs assigned). Returns the unsubscribe. */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  /**
   * Queue an entry. With `done`, the caller is told once it is durable (or why it is not); without it
   * (QoS 0) the entry is committed within flushIntervalMs and a failure is counted as lost.
   */
  submit(entry: OutboxEntry, done?: CommitCallback): void {
    if (this.#stopped) {
      const err = new ShuttingDownError('ingest pipeline');
      if (done) done(err);
      else this.#metrics.readingsLost.inc({ reason: 'shutting-down' }, entry.readings?.length ?? 0);
      return;
    }
    if (this.#refusing !== null && entry.readings !== null) {
      if (done) done(new OutboxFullError());
      else this.#refusing(entry);
      return;
    }
    this.#entries.push(entry);
    this.#callbacks.push(done);
    this.#rows += entry.readings?.length ?? 1;
    if (done !== undefined || this.#rows >= this.#config.maxBatchReadings) {
      if (this.#immediate === undefined) this.#immediate = setImmediate(this.#flushSoon);
    } else if (this.#timer === undefined && this.#immediate === undefined) {
      this.#timer = setTimeout(this.#flushSoon, this.#config.flushIntervalMs);
    }
  }

  readonly #flushSoon = (): void => {
    this.flush();
  };

  /** Commit everything queued now, synchronously, in transactions of at most maxBatchReadings rows. */
  flush(): void {
    if (this.#immediate !== undefined) { clearImmediate(this.#immediate); this.#immediate = undefined; }
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    while (this.#entries.length > 0) {
      const entries: OutboxEntry[] = [];
      const callbacks: Array<CommitCallback | undefined> = [];
      let rows = 0;
      let i = 0;
      for (; i < this.#entries.length && (rows === 0 || rows < this.#config.maxBatchReadings); i++) {
        const e = this.#entries[i]!;
        entries.push(e);
        callbacks.push(this.#callbacks[i]);
        rows += e.readings?.length ?? 1;
      }
      this.#entries = this.#entries.slice(i);
      this.#callbacks = this.#callbacks.slice(i);
      this.#rows -= rows;
      this.#commit(entries, callbacks);
    }
  }

  #commit(entries: OutboxEntry[], callbacks: Array<CommitCallback | undefined>): void {
    const started = process.hrtime.bigint();
    let error: Error | null = null;
    let stored = 0;
    try {
      const result = this.#outbox.write(entries);
      stored = result.readings;
      this.#health.lastCommitAt = this.#clock();
    } catch (err) {
      error = err as Error;
      this.#health.lastError = { at: this.#clock(), code: (err as { code?: string }).code ?? 'UNKNOWN', message: error.message };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.#metrics.commitSeconds.observe(seconds);
    this.#metrics.commitRows.observe(entries.length);
    if (error !== null) {
      this.#settle(entries, callbacks, stored, error);
      return;
    }
    this.#awaiting++;
    this.#outbox.whenDurable((syncError) => {
      this.#awaiting--;
      if (syncError !== null) {
        this.#health.lastError = { at: this.#clock(), code: (syncError as { code?: string }).code ?? 'UNKNOWN', message: syncError.message };
        this.#log.error({ err: syncError, entries: entries.length }, 'outbox fsync failed; acknowledgements withheld');
      }
      this.#settle(entries, callbacks, stored, null, syncError);
      if (this.#awaiting === 0) for (const w of this.#settledWaiters.splice(0)) w();
    });
  }

  /**
   * After the commit (and its fsync): counts, listeners, then callbacks. `syncError` means the rows are in the
   * table but their durability is unknown: listeners still see them (they are there to be scored and synced
   * once a later fsync covers them), callers are not told "stored".
   */
  #settle(entries: OutboxEntry[], callbacks: Array<CommitCallback | undefined>, stored: number, error: Error | null, syncError: Error | null = null): void {
    if (error === null) {
      this.#metrics.readingsStored.inc(stored);
      for (const listener of this.#listeners) {
        try {
          listener(entries);
        } catch (err) {
          this.#log.error({ err }, 'commit listener failed');
        }
      }
    } else {
      let lost = 0;
      for (let i = 0; i < entries.length; i++) if (callbacks[i] === undefined) lost += entries[i]!.readings?.length ?? 0;
      if (lost > 0) this.#metrics.readingsLost.inc({ reason: 'storage-failed' }, lost);
      this.#log.error({ err: error, entries: entries.length, qos0Lost: lost }, 'outbox commit failed; acknowledgements withheld');
    }
    const outcome = error ?? syncError;
    for (const cb of callbacks) {
      if (cb === undefined) continue;
      try {
        cb(outcome);
      } catch (err) {
        this.#log.error({ err }, 'commit callback failed');
      }
    }
  }

  /** Refuse new entries and commit what is queued. */
  stop(): void {
    this.flush();
    this.#stopped = true;
  }

  /** `done` once everything committed so far is durable: for a redelivery acknowledged without a commit of its own. */
  whenDurable(done: CommitCallback): void {
    this.#outbox.whenDurable(done);
  }

  /** Resolves once every commit so far is durable and its callbacks have run. */
  settled(): Promise<void> {
    if (this.#awaiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settledWaiters.push(resolve));
  }
}

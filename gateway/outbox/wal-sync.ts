/**
 * Group fsync of the outbox's WAL on the thread pool. A commit with synchronous=NORMAL only writes the WAL; the
 * transaction is on the disk once the WAL file is fsynced (fdatasync on any descriptor of the file flushes it),
 * which is exactly what synchronous=FULL does inside the commit. Done here instead, the event loop never waits
 * for the disk, and one fsync covers every commit made while the previous one ran: callers that ask while an
 * fsync is running wait for the next, which starts as soon as the running one returns.
 *
 * A failed fsync fails the callers it covered (their data's durability is unknown, so nothing is acknowledged);
 * the next fsync is tried afresh.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { StorageError } from '../../shared/errors.js';

export type DurableCallback = (err: Error | null) => void;

export class WalSync {
  readonly #walPath: string;
  readonly #dbPath: string;
  #fd: number | undefined;
  #running = false;
  #closing = false;
  #waiting: DurableCallback[] = [];
  #durableUpTo = 0;
  /** The highest seq committed by a caller still waiting. */
  #pendingUpTo = 0;
  /** Seconds of the last fsyncs, for metrics. */
  readonly #observe: (seconds: number) => void;

  constructor(deps: { dbPath: string; observe?: (seconds: number) => void }) {
    this.#dbPath = deps.dbPath;
    this.#walPath = `${deps.dbPath}-wal`;
    this.#observe = deps.observe ?? (() => {});
  }

  /** Opens the WAL and makes everything already in it durable (what a crash left there counts as stored). */
  open(lastSeq: number): void {
    this.#fd = openSync(this.#walPath, 'r');
    fdatasyncSync(this.#fd);
    const dbFd = openSync(this.#dbPath, 'r');
    try {
      fdatasyncSync(dbFd);
    } finally {
      closeSync(dbFd);
    }
    this.#durableUpTo = lastSeq;
  }

  /** Readings up to this seq are on the disk. */
  get durableUpTo(): number {
    return this.#durableUpTo;
  }

  /** Whether an fsync is running or waited for. */
  get busy(): boolean {
    return this.#running || this.#waiting.length > 0;
  }

  /** `done` runs once everything committed before this call (up to `lastSeq`) is on the disk. */
  request(lastSeq: number, done: DurableCallback): void {
    if (this.#fd === undefined || this.#closing) {
      done(new StorageError('outbox is not open'));
      return;
    }
    this.#waiting.push(done);
    this.#pendingUpTo = Math.max(this.#pendingUpTo, lastSeq);
    if (!this.#running) this.#start();
  }

  #start(): void {
    const callers = this.#waiting;
    const upTo = this.#pendingUpTo;
    this.#waiting = [];
    this.#running = true;
    const started = process.hrtime.bigint();
    fdatasync(this.#fd!, (err) => {
      this.#running = false;
      this.#observe(Number(process.hrtime.bigint() - started) / 1e9);
      const failure = err ? new StorageError(`outbox fsync failed: ${err.message}`, err) : null;
      if (failure === null) this.#durableUpTo = Math.max(this.#durableUpTo, upTo);
      for (const cb of callers) cb(failure);
      if (this.#waiting.length > 0 && !this.#closing) this.#start();
      else if (this.#closing) this.#finishClose();
    });
  }

  /** Fsyncs what is left, answers every caller, and closes the WAL descriptor. */
  close(): void {
    if (this.#fd === undefined || this.#closing) return;
    this.#closing = true;
    if (!this.#running) this.#finishClose();
  }

  #finishClose(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    let failure: Error | null = null;
    try {
      fdatasyncSync(fd);
    } catch (err) {
      failure = new StorageError(`outbox fsync failed: ${(err as Error).message}`, err);
    }
    if (failure === null) this.#durableUpTo = Math.max(this.#durableUpTo, this.#pendingUpTo);
    const callers = this.#waiting;
    this.#waiting = [];
    for (const cb of callers) cb(failure);
    closeSync(fd);
    this.#fd = undefined;
  }
}

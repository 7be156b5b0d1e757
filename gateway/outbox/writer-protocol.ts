/** What the main thread and the outbox's writer thread (writer-thread.ts) tell each other at start and per message. */

export interface WriterThreadData {
  file: string;
  /** FULL: each commit fsyncs the WAL before it is answered (power-loss durability); NORMAL: process-crash. */
  synchronous: 'full' | 'normal';
  /** Run WAL checkpoints between commits (off when a separate checkpoint worker does it). */
  checkpoints: boolean;
  checkpointIntervalMs: number;
}

export type WriterOp = 'write' | 'scores' | 'sync-outcome' | 'prune' | 'budget-prune-synced' | 'budget-drop' | 'budget-fold'
  | 'gap' | 'prune-idempotency' | 'probe' | 'checkpoints' | 'settings' | 'close';

export interface WriterSettings {
  /** PRAGMA synchronous: 2 FULL, 1 NORMAL. */
  synchronous: number;
  /** SQLite's own in-commit checkpoints (0: off). */
  walAutocheckpoint: number;
  /** Whether this thread runs checkpoints between commits. */
  checkpoints: boolean;
}

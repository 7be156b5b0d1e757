/** What the main thread and the checkpoint thread (checkpoint-thread.ts) tell each other at start and per message. */

export interface CheckpointThreadData {
  /** The outbox database; the thread opens a connection of its own. */
  file: string;
  intervalMs: number;
}

/** Main thread → checkpoint thread: run a last checkpoint, close the connection and end. */
export interface CheckpointStop {
  op: 'stop';
}

/** Checkpoint thread → main thread, after each checkpoint (PRAGMA wal_checkpoint's row, or why it failed). */
export type CheckpointReport =
  | { ok: true; busy: number; log: number; checkpointed: number }
  | { ok: false; message: string };

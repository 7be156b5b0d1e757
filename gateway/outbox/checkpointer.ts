/**
 * WAL checkpoints in a worker thread of their own, with its own connection: PASSIVE checkpoints (they never
 * block the writer) on a timer, while the outbox's writer thread runs none. If the worker fails, the writer
 * thread takes checkpoints back, so the WAL can never grow without bound. Opt-in (`outbox.checkpointInWorker`):
 * by default the writer thread checkpoints between its commits. The thread's body is checkpoint-thread.ts.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { outboxPath } from './database.js';
import type { Outbox } from './outbox.js';
import type { CheckpointReport, CheckpointStop, CheckpointThreadData } from './checkpoint-protocol.js';
import { startWorker } from '../../shared/start-worker.js';

export class Checkpointer {
  readonly #dataDir: string;
  readonly #outbox: Outbox;
  readonly #log: Logger;
  readonly #intervalMs: number;
  #worker: Worker | undefined;
  #stopping = false;
  last: { at: number; walFrames: number; checkpointed: number } | null = null;

  constructor(deps: { dataDir: string; outbox: Outbox; log: Logger; intervalMs?: number }) {
    this.#dataDir = deps.dataDir;
    this.#outbox = deps.outbox;
    this.#log = deps.log;
    this.#intervalMs = deps.intervalMs ?? 1_000;
  }

  start(): void {
    const worker = startWorker(import.meta.url, 'checkpoint-thread', { file: outboxPath(this.#dataDir), intervalMs: this.#intervalMs } satisfies CheckpointThreadData);
    this.#worker = worker;
    worker.unref();
    worker.on('message', (m: CheckpointReport) => {
      if (m.ok) this.last = { at: Date.now(), walFrames: m.log, checkpointed: m.checkpointed };
      else this.#log.warn({ message: m.message }, 'WAL checkpoint failed; will retry');
    });
    const fallBack = (err?: unknown): void => {
      this.#worker = undefined;
      if (this.#stopping) return;
      this.#log.error({ err }, 'checkpoint worker stopped; the writer thread checkpoints again');
      if (this.#outbox.isOpen) {
        this.#outbox.writer.setCheckpoints(true).catch((e: unknown) => this.#log.error({ err: e }, 'could not hand checkpoints back to the writer'));
      }
    };
    worker.once('error', fallBack);
    worker.once('exit', () => fallBack());
  }

  /** Runs a last checkpoint and ends the worker. Call before closing the database. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ op: 'stop' } satisfies CheckpointStop);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
    await worker.terminate();
  }
}

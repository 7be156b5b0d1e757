/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside a commit on the writing
 * connection: it copies WAL frames into the database file and fsyncs it, which stalls every PUBACK waiting on
 * that commit for tens of milliseconds. Here a worker thread with its own connection runs PASSIVE checkpoints
 * (they never block the writer) on a timer, and the writing connection's automatic checkpoint is turned off.
 * If the worker fails, automatic checkpoints come back on, so the WAL can never grow without bound.
 * Opt-in (`outbox.checkpointInWorker`): on the disks measured here the checkpoint's fsync contends with the
 * commits' own fsyncs and raised PUBACK latency more than the in-commit checkpoint did.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { outboxPath, type OutboxDatabase } from './database.js';
import { databaseOf, type Outbox } from './outbox.js';

// An eval worker in plain CommonJS: it runs the same way from the TypeScript sources and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const tick = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.message || err) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); tick(); db.close(); parentPort.close(); }
});
`;

export class Checkpointer {
  readonly #dataDir: string;
  readonly #db: () => OutboxDatabase;
  readonly #log: Logger;
  readonly #intervalMs: number;
  #worker: Worker | undefined;
  #stopping = false;
  last: { at: number; walFrames: number; checkpointed: number } | null = null;

  constructor(deps: { dataDir: string; outbox: Outbox; log: Logger; intervalMs?: number }) {
    this.#dataDir = deps.dataDir;
    const outbox = deps.outbox;
    this.#db = () => databaseOf(outbox);
    this.#log = deps.log;
    this.#intervalMs = deps.intervalMs ?? 1_000;
  }

  start(): void {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: outboxPath(this.#dataDir), intervalMs: this.#intervalMs } });
    this.#worker = worker;
    worker.unref();
    this.#db().pragma('wal_autocheckpoint = 0');
    worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number; message?: string }) => {
      if (m.ok) this.last = { at: Date.now(), walFrames: m.log ?? 0, checkpointed: m.checkpointed ?? 0 };
      else this.#log.warn({ message: m.message }, 'WAL checkpoint failed; will retry');
    });
    const fallBack = (err?: unknown): void => {
      this.#worker = undefined;
      if (this.#stopping) return;
      this.#log.error({ err }, 'checkpoint worker stopped; automatic WAL checkpoints back on');
      try {
        this.#db().pragma('wal_autocheckpoint = 1000');
      } catch {
        // the database is closing
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
    worker.postMessage('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
    await worker.terminate();
  }
}

/**
 * WAL checkpoints in a worker thread of their own, with its own connection: PASSIVE checkpoints (they never
 * block the writer) on a timer, while the outbox's writer thread runs none. If the worker fails, the writer
 * thread takes checkpoints back, so the WAL can never grow without bound. Opt-in (`outbox.checkpointInWorker`):
 * by default the writer thread checkpoints between its commits.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { outboxPath } from './database.js';
import type { Outbox } from './outbox.js';

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
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: outboxPath(this.#dataDir), intervalMs: this.#intervalMs } });
    this.#worker = worker;
    worker.unref();
    worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number; message?: string }) => {
      if (m.ok) this.last = { at: Date.now(), walFrames: m.log ?? 0, checkpointed: m.checkpointed ?? 0 };
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
    worker.postMessage('stop');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
    await worker.terminate();
  }
}

/**
 * A worker thread that owns a SQLite connection (the cloud store's writer and reader, the gateway outbox's
 * writer), seen from the main thread: start it, wait
 * until its connection is open, send it requests and get promises of their answers. Protocol:
 * { id, op, args } in; { id, result } or { id, error } out; { id: 0, ready: true } once at start-up;
 * { id: -1, error } for a failure nobody waits for (reported). A thread that exits fails every request it
 * held, and an exit that was not asked for is reported.
 */
import { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';

export interface ThreadReply {
  id: number;
  ready?: boolean;
  result?: unknown;
  error?: string;
}

/** Where a thread's failures that no request waits for go (the store's logger). */
export type ThreadProblemReport = (err: unknown, msg: string) => void;

interface Waiting {
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

export class StoreThread {
  private readonly inflight = new Map<number, Waiting>();
  private nextId = 1;
  private exited = false;
  private readonly exit: Promise<void>;

  private stopping = false;

  private constructor(
    private readonly name: string,
    private readonly worker: Worker,
    ready: { resolve: () => void; reject: (err: unknown) => void },
    report: ThreadProblemReport,
  ) {
    worker.on('message', (msg: ThreadReply) => {
      if (msg.ready) return ready.resolve();
      if (msg.id === -1) return report(new Error(msg.error ?? 'unknown'), `sqlite ${name} thread: ${msg.error}`);
      const p = this.inflight.get(msg.id);
      if (!p) return;
      this.inflight.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    worker.on('error', (err) => report(err, `sqlite ${name} thread failed`));
    this.exit = new Promise<void>((done) =>
      worker.once('exit', (code) => {
        this.exited = true;
        if (!this.stopping) report(new Error(`exit code ${code}`), `sqlite ${name} thread exited`);
        const err = new Error(`sqlite ${name} thread exited`);
        for (const p of this.inflight.values()) p.reject(err);
        this.inflight.clear();
        ready.reject(err);
        done();
      }),
    );
  }

  /** Starts the thread's module beside `besideUrl` (start-worker.ts) and waits for it to be ready. */
  static async start(name: string, besideUrl: string, module: string, workerData: unknown, report: ThreadProblemReport): Promise<StoreThread> {
    const worker = startWorker(besideUrl, module, workerData);
    let ready!: { resolve: () => void; reject: (err: unknown) => void };
    const started = new Promise<void>((resolve, reject) => (ready = { resolve, reject }));
    const thread = new StoreThread(name, worker, ready, report);
    await started;
    return thread;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Resolves when the thread has ended, asked to or not. */
  get ended(): Promise<void> {
    return this.exit;
  }

  call(op: string, args: unknown[], transfer: ArrayBuffer[] = []): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`sqlite ${this.name} thread is not running`));
      const id = this.nextId++;
      this.inflight.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, op, args }, transfer);
      } catch (err) {
        // Not sent (an argument that cannot be cloned): nothing will answer it.
        this.inflight.delete(id);
        reject(err);
      }
    });
  }

  /** Ends the thread at once, as a crash would: every request it held fails (fault-injection tests). */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.exit;
  }

  /** Lets requests already handed to the thread finish (answered or failed), then ends it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(
      [...this.inflight.values()].map(
        (p) =>
          new Promise<void>((done) => {
            const { resolve, reject } = p;
            p.resolve = (v) => (resolve(v), done());
            p.reject = (e) => (reject(e), done());
          }),
      ),
    );
    await this.worker.terminate();
    await this.exit;
  }
}

/**
 * Where onnxruntime sessions live. onnxruntime-node runs `run()` synchronously on the calling thread (inside a
 * setImmediate), so a session on the main thread holds the event loop — and MQTT ingestion — for the length of a
 * micro-batch's inference. The gateway therefore keeps its sessions in one worker thread (`workerSessions`, the
 * thread's body in ort-thread.ts); tools (`models check`, `models:eval`) use `inlineSessions`. Both give the same
 * results: same library, same bytes.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { OrtReply, OrtRequest, OrtResults, RunResult, TensorData, ValueMetadata } from './ort-protocol.js';
import { startWorker } from '../../shared/start-worker.js';

export type { TensorData, ValueMetadata } from './ort-protocol.js';

export interface ScoringSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** runMs: time spent in onnxruntime's run() on the thread that owns the session (no queueing). */
  run(feeds: Record<string, TensorData>, fetches: readonly string[]): Promise<RunResult>;
  release(): Promise<void>;
}

export interface SessionFactory {
  create(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ScoringSession>;
  close(): Promise<void>;
}

/** Sessions on the calling thread. */
export function inlineSessions(): SessionFactory {
  return {
    async create(bytes, options) {
      const s = await ort.InferenceSession.create(bytes, options);
      return {
        inputNames: s.inputNames, outputNames: s.outputNames, inputMetadata: s.inputMetadata, outputMetadata: s.outputMetadata,
        async run(feeds, fetches) {
          const tensors: Record<string, ort.Tensor> = {};
          for (const [k, t] of Object.entries(feeds)) tensors[k] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
          const t0 = performance.now();
          const out = await s.run(tensors, [...fetches]);
          const runMs = performance.now() - t0;
          const outputs: Record<string, TensorData> = {};
          for (const [k, t] of Object.entries(out)) outputs[k] = { type: t.type, data: t.data, dims: t.dims.map(Number) };
          return { outputs, runMs };
        },
        release: () => s.release(),
      };
    },
    async close() {},
  };
}

/** A request as the caller gives it; the id is added when it is sent. */
type OrtCall<Op extends OrtRequest['op']> = Omit<Extract<OrtRequest, { op: Op }>, 'id'>;

interface Pending {
  resolve: (v: OrtResults[OrtRequest['op']]) => void;
  reject: (e: Error) => void;
}

/** Sessions in one worker thread, started on first use and ended by close(). Requests are answered in order. */
export function workerSessions(): SessionFactory {
  let worker: Worker | null = null;
  let nextId = 0;
  let nextSession = 0;
  const pending = new Map<number, Pending>();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const ensure = (): Worker => {
    if (worker) return worker;
    const w = startWorker(import.meta.url, 'ort-thread');
    w.unref(); // an idle scoring worker never keeps the process alive (it is ref'd while a request is pending)
    w.on('message', (m: OrtReply) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    w.on('error', (err) => failAll(err));
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`scoring worker exited (code ${code})`));
    });
    worker = w;
    return w;
  };
  const call = <Op extends OrtRequest['op']>(msg: OrtCall<Op>, transfer: ArrayBuffer[] = []): Promise<OrtResults[Op]> => {
    const w = ensure();
    const id = nextId++;
    return new Promise<OrtResults[Op]>((resolve, reject) => {
      if (pending.size === 0) w.ref();
      pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      w.postMessage({ ...msg, id }, transfer);
    });
  };
  return {
    async create(bytes, options) {
      const session = nextSession++;
      const copy = Uint8Array.from(bytes);
      const meta = await call<'create'>({ op: 'create', session, bytes: copy, options }, [copy.buffer]);
      let released = false;
      return {
        ...meta,
        run: (feeds, fetches) => {
          const transfer: ArrayBuffer[] = [];
          for (const t of Object.values(feeds)) if (ArrayBuffer.isView(t.data)) transfer.push(t.data.buffer as ArrayBuffer);
          return call<'run'>({ op: 'run', session, feeds, fetches: [...fetches] }, transfer);
        },
        release: async () => {
          if (released || !worker) return;
          released = true;
          await call<'release'>({ op: 'release', session });
        },
      };
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}

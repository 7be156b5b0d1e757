/**
 * Where onnxruntime sessions live. onnxruntime-node runs `run()` synchronously on the calling thread (inside a
 * setImmediate), so a session on the main thread holds the event loop — and MQTT ingestion — for the length of a
 * micro-batch's inference. The gateway therefore keeps its sessions in one worker thread (`workerSessions`); tools
 * (`models check`, `models:eval`) use `inlineSessions`. Both give the same results: same library, same bytes.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';

export interface TensorData {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

export type ValueMetadata = ort.InferenceSession.ValueMetadata;

export interface ScoringSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** runMs: time spent in onnxruntime's run() on the thread that owns the session (no queueing). */
  run(feeds: Record<string, TensorData>, fetches: readonly string[]): Promise<{ outputs: Record<string, TensorData>; runMs: number }>;
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

// The worker body is plain CommonJS so it runs the same from sources (tsx) and from dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
const plain = (m) => m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: Array.from(m.shape) } : { name: m.name, isTensor: false };
parentPort.on('message', async (msg) => {
  try {
    if (msg.op === 'create') {
      const s = await ort.InferenceSession.create(msg.bytes, msg.options);
      sessions.set(msg.session, s);
      parentPort.postMessage({ id: msg.id, ok: true, value: { inputNames: Array.from(s.inputNames), outputNames: Array.from(s.outputNames),
        inputMetadata: s.inputMetadata.map(plain), outputMetadata: s.outputMetadata.map(plain) } });
    } else if (msg.op === 'run') {
      const s = sessions.get(msg.session);
      if (!s) throw new Error('session was released');
      const feeds = {};
      for (const [k, t] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
      const t0 = performance.now();
      const out = await s.run(feeds, msg.fetches);
      const runMs = performance.now() - t0;
      const outputs = {};
      const transfer = [];
      for (const [k, t] of Object.entries(out)) {
        // copy out of onnxruntime's buffer, then hand the copy over without another copy
        const data = ArrayBuffer.isView(t.data) ? t.data.slice() : Array.from(t.data);
        if (ArrayBuffer.isView(data)) transfer.push(data.buffer);
        outputs[k] = { type: t.type, data, dims: Array.from(t.dims, Number) };
      }
      parentPort.postMessage({ id: msg.id, ok: true, value: { outputs, runMs } }, transfer);
    } else if (msg.op === 'release') {
      const s = sessions.get(msg.session);
      sessions.delete(msg.session);
      if (s) await s.release();
      parentPort.postMessage({ id: msg.id, ok: true, value: null });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

interface Pending {
  resolve: (v: unknown) => void;
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
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath } });
    w.unref(); // an idle scoring worker never keeps the process alive (it is ref'd while a request is pending)
    w.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
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
  const call = <T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> => {
    const w = ensure();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) w.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ ...msg, id }, transfer);
    });
  };
  return {
    async create(bytes, options) {
      const session = nextSession++;
      const copy = Uint8Array.from(bytes);
      const meta = await call<{ inputNames: string[]; outputNames: string[]; inputMetadata: ValueMetadata[]; outputMetadata: ValueMetadata[] }>(
        { op: 'create', session, bytes: copy, options }, [copy.buffer]);
      let released = false;
      return {
        ...meta,
        run: (feeds, fetches) => {
          const transfer: ArrayBuffer[] = [];
          for (const t of Object.values(feeds)) if (ArrayBuffer.isView(t.data)) transfer.push(t.data.buffer as ArrayBuffer);
          return call<{ outputs: Record<string, TensorData>; runMs: number }>({ op: 'run', session, feeds, fetches: [...fetches] }, transfer);
        },
        release: async () => {
          if (released || !worker) return;
          released = true;
          await call({ op: 'release', session });
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

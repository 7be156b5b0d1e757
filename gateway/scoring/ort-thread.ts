/**
 * The onnxruntime thread (started by workerSessions in ort-sessions.ts): it holds the gateway's InferenceSessions
 * and runs them, so a run() never holds the main thread's event loop. Requests are handled as they arrive;
 * messages in ort-protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { OrtReply, OrtRequest, OrtResults, SessionInfo, TensorData, ValueMetadata } from './ort-protocol.js';

/** Metadata as plain objects: what structured clone can carry. */
function plain(m: ValueMetadata): ValueMetadata {
  return m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: Array.from(m.shape) } : { name: m.name, isTensor: false };
}

const port = parentPort;
if (port) {
  const sessions = new Map<number, ort.InferenceSession>();

  const create = async (msg: Extract<OrtRequest, { op: 'create' }>): Promise<SessionInfo> => {
    const s = await ort.InferenceSession.create(msg.bytes, msg.options);
    sessions.set(msg.session, s);
    return { inputNames: Array.from(s.inputNames), outputNames: Array.from(s.outputNames),
      inputMetadata: s.inputMetadata.map(plain), outputMetadata: s.outputMetadata.map(plain) };
  };

  const run = async (msg: Extract<OrtRequest, { op: 'run' }>, transfer: ArrayBuffer[]): Promise<OrtResults['run']> => {
    const s = sessions.get(msg.session);
    if (!s) throw new Error('session was released');
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
    const t0 = performance.now();
    const out = await s.run(feeds, msg.fetches);
    const runMs = performance.now() - t0;
    const outputs: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(out)) {
      // copied out of onnxruntime's buffer, then the copy is handed over without another copy
      const data = ArrayBuffer.isView(t.data) ? (t.data as Float32Array).slice() : Array.from(t.data);
      if (ArrayBuffer.isView(data)) transfer.push(data.buffer as ArrayBuffer);
      outputs[k] = { type: t.type, data, dims: Array.from(t.dims, Number) };
    }
    return { outputs, runMs };
  };

  const release = async (msg: Extract<OrtRequest, { op: 'release' }>): Promise<null> => {
    const s = sessions.get(msg.session);
    sessions.delete(msg.session);
    if (s) await s.release();
    return null;
  };

  port.on('message', async (msg: OrtRequest) => {
    const transfer: ArrayBuffer[] = [];
    let reply: OrtReply;
    try {
      const value = msg.op === 'create' ? await create(msg) : msg.op === 'run' ? await run(msg, transfer) : await release(msg);
      reply = { id: msg.id, ok: true, value };
    } catch (err) {
      reply = { id: msg.id, ok: false, error: String((err as Error)?.message || err) };
    }
    port.postMessage(reply, transfer);
  });
}

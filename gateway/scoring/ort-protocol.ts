/**
 * What the main thread and the onnxruntime thread (ort-thread.ts) tell each other. Every request carries an id
 * its reply repeats; a session is named by a number the main thread picks. Tensors cross as plain typed arrays
 * (transferred, not copied, where the sender gives them up).
 */
import type * as ort from 'onnxruntime-node';

export interface TensorData {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

export type ValueMetadata = ort.InferenceSession.ValueMetadata;

/** A session's graph signature, as the loader checks it against the manifest. */
export interface SessionInfo {
  inputNames: string[];
  outputNames: string[];
  inputMetadata: ValueMetadata[];
  outputMetadata: ValueMetadata[];
}

/** runMs: time spent in onnxruntime's run() on the thread that owns the session (no queueing). */
export interface RunResult {
  outputs: Record<string, TensorData>;
  runMs: number;
}

export type OrtRequest =
  | { op: 'create'; id: number; session: number; bytes: Uint8Array; options: ort.InferenceSession.SessionOptions }
  | { op: 'run'; id: number; session: number; feeds: Record<string, TensorData>; fetches: string[] }
  | { op: 'release'; id: number; session: number };

/** What each request is answered with. */
export interface OrtResults {
  create: SessionInfo;
  run: RunResult;
  release: null;
}

export type OrtReply =
  | { id: number; ok: true; value: OrtResults[OrtRequest['op']] }
  | { id: number; ok: false; error: string };

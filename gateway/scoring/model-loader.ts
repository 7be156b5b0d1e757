/**
 * Loads one model version folder (manifest.json + model.onnx) into a long-lived InferenceSession: reads and
 * bounds the files, has the manifest checked against the graph (model-check.ts), builds the runners
 * (model-runner.ts) and makes a one-row smoke run, which catches what the declared shapes leave open (a dynamic
 * feature axis). The same `runRows` is used by the gateway, `models check` and `predict`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssues } from '../../shared/config-layers.js';
import { loadOnnxTypes, type OnnxTypes } from '../../shared/ml/onnx-proto.js';
import { manifestSchema, type ModelManifest } from '../../shared/ml/manifest.js';
import { ModelInvalidError } from './model-errors.js';
import { checkModel } from './model-check.js';
import { modelRunner, type ModelRunner } from './model-runner.js';
import { rewriteZipMap, type ZipMapRewrite } from './zipmap-rewrite.js';
import { inlineSessions, type ScoringSession, type SessionFactory } from './ort-sessions.js';

export { MAX_OUTPUT_VALUES_PER_ROW } from './model-check.js';

export interface LoadedModel extends ModelRunner {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly featureNames: readonly string[];
  readonly outputNames: readonly string[];
  /** false when the graph's batch axis is fixed at 1: rows are then run one by one. */
  readonly batchable: boolean;
  release(): Promise<void>;
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch (err) {
    throw new ModelInvalidError(dir, [`cannot read manifest.json: ${(err as Error).message}`], err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelInvalidError(dir, [`manifest.json is not valid JSON: ${(err as Error).message}`], err);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new ModelInvalidError(dir, formatIssues(parsed.error).map((i) => `manifest ${i}`));
  return parsed.data;
}

export interface LoadOptions {
  types?: OnnxTypes;
  /** ORT intra-op threads per session; 1 keeps scoring from competing with ingestion on small gateways. */
  threads?: number;
  /** Where the session lives (default: on this thread). The gateway passes its worker's factory. */
  sessions?: SessionFactory;
  /** Check that manifest name/version match the folder `<name>/<version>`. */
  expect?: { name: string; version: string };
  /** Largest model.onnx read (scoring.maxModelBytes); a larger file is refused before it is read. */
  maxBytes?: number;
}

/** Default of scoring.maxModelBytes: far above the shipped models (well under 1 MB), far below a gateway's memory. */
export const DEFAULT_MAX_MODEL_BYTES = 64 * 1_048_576;

export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const manifest = await readManifest(dir);
  if (opts.expect && (opts.expect.name !== manifest.name || opts.expect.version !== manifest.version)) {
    throw new ModelInvalidError(dir, [`manifest says ${manifest.name}/${manifest.version} but the folder is ${opts.expect.name}/${opts.expect.version}`]);
  }
  const { bytes, zipmaps } = await readGraph(dir, opts);
  let session: ScoringSession;
  try {
    session = await (opts.sessions ?? inlineSessions()).create(bytes, {
      intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
      // measured: parallel execution mode costs ~100 µs CPU per run() in thread hand-offs for these small graphs
      executionMode: 'sequential',
    });
  } catch (err) {
    throw new ModelInvalidError(dir, [`onnxruntime cannot load model.onnx: ${(err as Error).message}`], err);
  }
  try {
    const { binding, problems } = checkModel(manifest, session, zipmaps);
    if (problems.length > 0) throw new ModelInvalidError(dir, problems);
    const runner = modelRunner(manifest, binding, session);
    const width = binding.featureNames.length;
    try {
      await runner.runMatrixTimed(new Float64Array(width), 1);
    } catch (err) {
      const why = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new ModelInvalidError(dir, [`a test run with ${width} features failed: ${why}`]);
    }
    return {
      dir, manifest, featureNames: binding.featureNames, outputNames: binding.readers.map((r) => r.name), batchable: binding.batchable,
      runMatrixTimed: runner.runMatrixTimed, runRows: runner.runRows, release: () => session.release(),
    };
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
}

/** model.onnx, bounded in size before it is read, with its ZipMaps rewritten to tensors onnxruntime can return. */
async function readGraph(dir: string, opts: LoadOptions): Promise<{ bytes: Uint8Array; zipmaps: ZipMapRewrite[] }> {
  let bytes: Uint8Array;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  try {
    // A sparse or huge file is refused from its size, before anything is read.
    const size = (await stat(join(dir, 'model.onnx'))).size;
    if (size > maxBytes) throw new ModelInvalidError(dir, [`model.onnx is ${size} bytes, more than scoring.maxModelBytes (${maxBytes})`]);
    bytes = await readFile(join(dir, 'model.onnx'));
  } catch (err) {
    if (err instanceof ModelInvalidError) throw err;
    throw new ModelInvalidError(dir, [`cannot read model.onnx: ${(err as Error).message}`], err);
  }
  try {
    return rewriteZipMap(bytes, opts.types ?? loadOnnxTypes());
  } catch (err) {
    throw new ModelInvalidError(dir, [`model.onnx is not an ONNX model: ${(err as Error).message}`], err);
  }
}

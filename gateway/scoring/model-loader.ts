/**
 * Loads one model version folder (manifest.json + model.onnx) into a long-lived InferenceSession and checks that
 * the manifest fits the graph: input name, element type, feature count, every output present and a tensor, every
 * column in range. A one-row smoke run catches what the declared shapes leave open (dynamic feature axis).
 * The same `runRows` is used by the gateway, `models check` and `predict`.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatIssues } from '../../shared/config-layers.js';
import { loadOnnxTypes, type OnnxTypes } from '../../shared/ml/onnx-proto.js';
import { featureNames, manifestSchema, type ModelManifest } from '../../shared/ml/manifest.js';
import { ModelInvalidError, ModelRunError } from './model-errors.js';
import { rewriteZipMap, type ZipMapRewrite } from './zipmap-rewrite.js';
import { inlineSessions, type ScoringSession, type SessionFactory } from './ort-sessions.js';

interface OutputReader {
  name: string;
  kind: ModelManifest['outputs'][number]['kind'];
  onnxOutput: string;
  column: number;
  /** For string label tensors: position of the label in the classifier's label list. */
  labels?: Array<number | string>;
}

export interface LoadedModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly featureNames: readonly string[];
  readonly outputNames: readonly string[];
  /** false when the graph's batch axis is fixed at 1: rows are then run one by one. */
  readonly batchable: boolean;
  /** Scores rows (raw feature values, manifest scaling applied here) with one run(); one record per row. */
  runRows(rows: readonly ArrayLike<number>[]): Promise<Array<Record<string, number>>>;
  /**
   * The gateway's scoring path: `n` rows of raw feature values in one row-major matrix, one run(); the result is one
   * column per output, in `outputNames` order, with the time onnxruntime spent in run(). No object per row.
   */
  runMatrixTimed(features: ArrayLike<number>, n: number): Promise<{ columns: Float64Array[]; runMs: number }>;
  release(): Promise<void>;
}

const ELEMENT_TYPES = new Set(['float32', 'float64']);

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
/**
 * Most values per row an output may declare. Outputs are read one column per manifest output; a graph declaring
 * an output of millions of values per row (an Expand to [1, 2e9]) would allocate gigabytes on its first run.
 */
export const MAX_OUTPUT_VALUES_PER_ROW = 4_096;

export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const manifest = await readManifest(dir);
  const problems: string[] = [];
  if (opts.expect && (opts.expect.name !== manifest.name || opts.expect.version !== manifest.version)) {
    problems.push(`manifest says ${manifest.name}/${manifest.version} but the folder is ${opts.expect.name}/${opts.expect.version}`);
    throw new ModelInvalidError(dir, problems);
  }
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
  let zipmaps: ZipMapRewrite[];
  try {
    ({ bytes, zipmaps } = rewriteZipMap(bytes, opts.types ?? loadOnnxTypes()));
  } catch (err) {
    throw new ModelInvalidError(dir, [`model.onnx is not an ONNX model: ${(err as Error).message}`], err);
  }
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
    return await validate(dir, manifest, session, zipmaps);
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
}

async function validate(dir: string, manifest: ModelManifest, session: ScoringSession,
  zipmaps: ZipMapRewrite[]): Promise<LoadedModel> {
  const problems: string[] = [];
  const names = featureNames(manifest.input);
  const width = names.length;
  const inputName = manifest.input.name;
  const inputMeta = session.inputMetadata.find((m) => m.name === inputName);
  let elementType: 'float32' | 'float64' = 'float32';
  let batchable = true;
  if (!inputMeta) {
    problems.push(`input '${inputName}' not in the graph (inputs: ${session.inputNames.join(', ')})`);
  } else if (!inputMeta.isTensor) {
    problems.push(`input '${inputName}' is not a tensor`);
  } else {
    if (!ELEMENT_TYPES.has(inputMeta.type)) problems.push(`input '${inputName}' has element type ${inputMeta.type}; float32 or float64 needed`);
    else elementType = inputMeta.type as 'float32' | 'float64';
    const shape = inputMeta.shape;
    if (shape.length !== 0 && shape.length !== 2) problems.push(`input '${inputName}' has rank ${shape.length}; [batch, features] needed`);
    if (shape.length === 2) {
      const [batch, features] = shape;
      if (typeof features === 'number' && features !== width) {
        problems.push(`input '${inputName}' takes ${features} features but the manifest gives ${width}`);
      }
      if (typeof batch === 'number') {
        if (batch !== 1) problems.push(`input '${inputName}' has a fixed batch of ${batch}; 1 or dynamic needed`);
        batchable = false;
      }
    }
  }
  const others = session.inputNames.filter((n) => n !== inputName);
  if (others.length > 0) problems.push(`graph has inputs the manifest does not feed: ${others.join(', ')}`);

  const readers: OutputReader[] = [];
  for (const out of manifest.outputs) {
    const meta = session.outputMetadata.find((m) => m.name === out.onnxOutput);
    if (!meta) {
      problems.push(`output '${out.onnxOutput}' (${out.name}) not in the graph (outputs: ${session.outputNames.join(', ')})`);
      continue;
    }
    if (!meta.isTensor) {
      problems.push(`output '${out.onnxOutput}' is not a tensor (sequence/map outputs other than ZipMap cannot be read)`);
      continue;
    }
    const zip = zipmaps.find((z) => z.output === out.onnxOutput);
    let column = out.column ?? 0;
    if (out.class !== undefined) {
      if (zip) {
        const at = zip.labels.findIndex((l) => String(l) === String(out.class));
        if (at < 0) problems.push(`output ${out.name}: class ${String(out.class)} not among the classifier labels [${zip.labels.join(', ')}]`);
        column = at;
      } else if (typeof out.class === 'number') {
        column = out.class;
      } else {
        problems.push(`output ${out.name}: class '${out.class}' given but '${out.onnxOutput}' carries no class labels`);
      }
    }
    const cols = meta.shape.length === 2 ? meta.shape[1] : meta.shape.length <= 1 ? 1 : undefined;
    if (meta.shape.length > 2) problems.push(`output '${out.onnxOutput}' has rank ${meta.shape.length}; [batch] or [batch, k] needed`);
    // Declared shapes are checked against the batch before the first run: a fixed batch other than 1 or a row
    // wider than MAX_OUTPUT_VALUES_PER_ROW is refused rather than allocated.
    const batchDim = meta.shape[0];
    if (typeof batchDim === 'number' && batchDim > 1) problems.push(`output '${out.onnxOutput}' declares a fixed batch of ${batchDim}; 1 or dynamic needed`);
    if (typeof cols === 'number' && cols > MAX_OUTPUT_VALUES_PER_ROW) {
      problems.push(`output '${out.onnxOutput}' declares ${cols} values per row; at most ${MAX_OUTPUT_VALUES_PER_ROW}`);
    }
    if (typeof cols === 'number' && column >= cols) problems.push(`output ${out.name}: column ${column} but '${out.onnxOutput}' has ${cols}`);
    const labelZip = zipmaps[0];
    readers.push({ name: out.name, kind: out.kind, onnxOutput: out.onnxOutput, column,
      ...(meta.type === 'string' && labelZip ? { labels: labelZip.labels } : {}) });
  }
  const s = manifest.input.scaling;
  const center = s ? Float64Array.from(s.center) : null;
  const invScale = s ? Float64Array.from(s.scale, (v) => 1 / v) : null;
  const fetches = [...new Set(readers.map((r) => r.onnxOutput))];
  const label = `${manifest.name}/${manifest.version}`;

  /** One run() over `n` rows of `features` (row-major, `width` values each); one column of values per output. */
  const runOnce = async (features: ArrayLike<number>, n: number): Promise<{ columns: Float64Array[]; runMs: number }> => {
    const data = elementType === 'float64' ? new Float64Array(n * width) : new Float32Array(n * width);
    const size = n * width;
    if (center && invScale) {
      for (let i = 0, j = 0; i < size; i++, j = j + 1 === width ? 0 : j + 1) data[i] = (features[i]! - center[j]!) * invScale[j]!;
    } else {
      for (let i = 0; i < size; i++) data[i] = features[i]!;
    }
    let result: Awaited<ReturnType<ScoringSession['run']>>['outputs'];
    let runMs: number;
    try {
      ({ outputs: result, runMs } = await session.run({ [inputName]: { type: elementType, data, dims: [n, width] } }, fetches));
    } catch (err) {
      throw new ModelRunError(label, err);
    }
    const columns: Float64Array[] = [];
    for (const reader of readers) {
      const t = result[reader.onnxOutput];
      if (!t) throw new ModelRunError(label, new Error(`no value for output ${reader.onnxOutput}`));
      const k = t.dims.length >= 2 ? Number(t.dims[1]) : 1;
      if (t.dims[0] !== undefined && Number(t.dims[0]) !== n && t.dims.length > 0) {
        throw new ModelRunError(label, new Error(`output ${reader.onnxOutput} has ${t.dims[0]} rows for ${n} inputs`));
      }
      if (reader.column >= k) throw new ModelRunError(label, new Error(`output ${reader.onnxOutput} has ${k} columns, column ${reader.column} asked`));
      const values = t.data as ArrayLike<number | bigint | string>;
      const column = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const raw = values[r * k + reader.column];
        column[r] = typeof raw === 'bigint' ? Number(raw)
          : typeof raw === 'string' ? (reader.labels ? reader.labels.findIndex((l) => String(l) === raw) : Number.NaN)
            : Number(raw);
      }
      columns.push(column);
    }
    return { columns, runMs };
  };

  if (problems.length === 0) {
    try {
      await runOnce(new Float64Array(width), 1);
    } catch (err) {
      problems.push(`a test run with ${width} features failed: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ModelInvalidError(dir, problems);

  const outputNames = readers.map((r) => r.name);
  const runMatrixTimed = async (features: ArrayLike<number>, n: number): Promise<{ columns: Float64Array[]; runMs: number }> => {
    if (features.length < n * width) throw new ModelRunError(label, new Error(`${features.length} feature values for ${n} rows of ${width}`));
    if (n === 0) return { columns: readers.map(() => new Float64Array(0)), runMs: 0 };
    if (batchable) return runOnce(features, n);
    // A graph fixed at one row: one run() per row, the columns put together.
    const columns = readers.map(() => new Float64Array(n));
    let runMs = 0;
    for (let r = 0; r < n; r++) {
      const one = await runOnce(Array.prototype.slice.call(features, r * width, (r + 1) * width) as number[], 1);
      one.columns.forEach((c, k) => { columns[k]![r] = c[0]!; });
      runMs += one.runMs;
    }
    return { columns, runMs };
  };
  const runRows = async (rows: readonly ArrayLike<number>[]): Promise<Array<Record<string, number>>> => {
    const features = new Float64Array(rows.length * width);
    rows.forEach((row, r) => {
      if (row.length !== width) throw new ModelRunError(label, new Error(`row ${r} has ${row.length} values, ${width} expected`));
      for (let j = 0; j < width; j++) features[r * width + j] = row[j]!;
    });
    const { columns } = await runMatrixTimed(features, rows.length);
    return rows.map((_, r) => {
      const o: Record<string, number> = {};
      outputNames.forEach((name, k) => { o[name] = columns[k]![r]!; });
      return o;
    });
  };
  return {
    dir,
    manifest,
    featureNames: names,
    outputNames,
    batchable,
    runMatrixTimed,
    runRows,
    release: () => session.release(),
  };
}

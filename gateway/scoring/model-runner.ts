/**
 * Runs one checked model (its session and the binding model-check.ts made): raw feature rows in, the manifest's
 * scaling applied here, one column of values per manifest output back. The same runners serve the gateway's
 * scoring, `models check` and `predict`.
 */
import type { ModelManifest } from '../../shared/ml/manifest.js';
import { ModelRunError } from './model-errors.js';
import type { GraphBinding } from './model-check.js';
import type { RunResult } from './ort-protocol.js';
import type { ScoringSession } from './ort-sessions.js';

export interface ModelRunner {
  /** Scores rows (raw feature values) with one run(); one record per row. */
  runRows(rows: readonly ArrayLike<number>[]): Promise<Array<Record<string, number>>>;
  /**
   * The gateway's scoring path: `n` rows of raw feature values in one row-major matrix, one run(); the result is one
   * column per output, in manifest order, with the time onnxruntime spent in run(). No object per row.
   */
  runMatrixTimed(features: ArrayLike<number>, n: number): Promise<{ columns: Float64Array[]; runMs: number }>;
}

export function modelRunner(manifest: ModelManifest, binding: GraphBinding, session: ScoringSession): ModelRunner {
  const { inputName, elementType, batchable, readers } = binding;
  const width = binding.featureNames.length;
  const s = manifest.input.scaling;
  const center = s ? Float64Array.from(s.center) : null;
  const invScale = s ? Float64Array.from(s.scale, (v) => 1 / v) : null;
  const fetches = [...new Set(readers.map((r) => r.onnxOutput))];
  const label = `${manifest.name}/${manifest.version}`;
  const outputNames = readers.map((r) => r.name);

  /** One run() over `n` rows of `features` (row-major, `width` values each); one column of values per output. */
  const runOnce = async (features: ArrayLike<number>, n: number): Promise<{ columns: Float64Array[]; runMs: number }> => {
    const data = elementType === 'float64' ? new Float64Array(n * width) : new Float32Array(n * width);
    const size = n * width;
    if (center && invScale) {
      for (let i = 0, j = 0; i < size; i++, j = j + 1 === width ? 0 : j + 1) data[i] = (features[i]! - center[j]!) * invScale[j]!;
    } else {
      for (let i = 0; i < size; i++) data[i] = features[i]!;
    }
    let result: RunResult['outputs'];
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

  return { runMatrixTimed, runRows };
}

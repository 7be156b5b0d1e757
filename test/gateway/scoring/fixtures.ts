/**
 * Model folders for tests, built with the project's own graph builder in the shapes other tools export:
 * a skl2onnx-style tree classifier ending in ZipMap, a regressor of ai.onnx.ml operators (Scaler →
 * TreeEnsembleRegressor), a LinearClassifier + ZipMap with string labels, and one whose batch axis breaks at
 * run time.
 */
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { attr, buildModel, DataType, ML_DOMAIN, tensorType } from '../../../models/onnx/graph-builder.js';
import { binaryClassifierAttrs, regressorAttrs, type TreeNode } from '../../../models/onnx/tree-ensemble.js';
import type { ModelManifest, WindowFeature } from '../../../shared/ml/manifest.js';

/** Two trees on features [temp, vibration]. */
export const CLASSIFIER_TREES: TreeNode[] = [
  { leaf: false, feature: 0, threshold: 50, left: { leaf: true, value: -2 }, right: { leaf: true, value: 1.5 } },
  { leaf: false, feature: 1, threshold: 3, left: { leaf: true, value: -0.5 },
    right: { leaf: false, feature: 0, threshold: 80, left: { leaf: true, value: 1 }, right: { leaf: true, value: 3 } } },
];
export const CLASSIFIER_BASE = -0.25;
export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Hand-written evaluation of CLASSIFIER_TREES: P(class 1). */
export function expectedFailureProbability(temp: number, vibration: number): number {
  const t1 = temp <= 50 ? -2 : 1.5;
  const t2 = vibration <= 3 ? -0.5 : temp <= 80 ? 1 : 3;
  return sigmoid(CLASSIFIER_BASE + t1 + t2);
}

/** skl2onnx's layout for a binary classifier: output_label (int64) and output_probability (ZipMap). */
export function sklTreeClassifier(): Uint8Array {
  return buildModel({
    opsets: { '': 15, [ML_DOMAIN]: 1 },
    producerName: 'skl2onnx',
    graph: {
      name: 'GradientBoostingClassifier',
      inputs: [{ name: 'input', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      outputs: [
        { name: 'output_label', type: tensorType(DataType.INT64, ['N']) },
        { name: 'output_probability', type: { sequence: { map: { key: DataType.INT64, value: tensorType(DataType.FLOAT) } } } },
      ],
      nodes: [
        { op: 'TreeEnsembleClassifier', domain: ML_DOMAIN, inputs: ['input'], outputs: ['label', 'probabilities'],
          attrs: binaryClassifierAttrs(CLASSIFIER_TREES, CLASSIFIER_BASE) },
        { op: 'Cast', inputs: ['label'], outputs: ['output_label'], attrs: { to: attr.int(DataType.INT64) } },
        { op: 'ZipMap', domain: ML_DOMAIN, inputs: ['probabilities'], outputs: ['output_probability'],
          attrs: { classlabels_int64s: attr.ints([0, 1]) } },
      ],
    },
  });
}

/** Regressor: Scaler (x - offset) * scale, then a one-tree ensemble on the scaled values, base 100. */
export const REGRESSOR = { offset: [10, 0, 5], scale: [0.5, 2, 1], base: 100 };
export const REGRESSOR_TREE: TreeNode = {
  leaf: false, feature: 0, threshold: 1, // scaled x0 <= 1  ⇔  x0 <= 12
  left: { leaf: false, feature: 2, threshold: 0, left: { leaf: true, value: -10 }, right: { leaf: true, value: -20 } },
  right: { leaf: true, value: 7 },
};
export function expectedRul(x0: number, _x1: number, x2: number): number {
  const s0 = (x0 - 10) * 0.5;
  const s2 = (x2 - 5) * 1;
  return REGRESSOR.base + (s0 <= 1 ? (s2 <= 0 ? -10 : -20) : 7);
}

/** `batch: 1` fixes the graph's batch axis at one row (as some exporters do): the loader then runs rows one by one. */
export function mlRegressor(opts: { inputName?: string; features?: number; base?: number; batch?: 1 } = {}): Uint8Array {
  const width = opts.features ?? 3;
  return buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    graph: {
      name: 'regressor',
      inputs: [{ name: opts.inputName ?? 'X', type: tensorType(DataType.FLOAT, [opts.batch ?? 'batch', width]) }],
      outputs: [{ name: 'variable', type: tensorType(DataType.FLOAT, [opts.batch ?? 'batch', 1]) }],
      nodes: [
        { op: 'Scaler', domain: ML_DOMAIN, inputs: [opts.inputName ?? 'X'], outputs: ['scaled'],
          attrs: { offset: attr.floats(REGRESSOR.offset.slice(0, width).concat(new Array(Math.max(0, width - 3)).fill(0))),
            scale: attr.floats(REGRESSOR.scale.slice(0, width).concat(new Array(Math.max(0, width - 3)).fill(1))) } },
        { op: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['scaled'], outputs: ['variable'],
          attrs: regressorAttrs([REGRESSOR_TREE], opts.base ?? REGRESSOR.base) },
      ],
    },
  });
}

/** LinearClassifier (3 classes, string labels, SOFTMAX) + ZipMap with classlabels_strings. */
export const LINEAR = { labels: ['ok', 'wear', 'fault'], coefficients: [[1, 0], [0, 1], [1, 1]], intercepts: [0, 0.5, -1] };
export function expectedLinear(x: [number, number]): number[] {
  const z = LINEAR.coefficients.map((c, k) => c[0]! * x[0] + c[1]! * x[1] + LINEAR.intercepts[k]!);
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
export function linearClassifier(): Uint8Array {
  return buildModel({
    opsets: { '': 13, [ML_DOMAIN]: 1 },
    graph: {
      name: 'LogisticRegression',
      inputs: [{ name: 'float_input', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      outputs: [
        { name: 'output_label', type: tensorType(DataType.STRING, ['N']) },
        { name: 'output_probability', type: { sequence: { map: { key: DataType.STRING, value: tensorType(DataType.FLOAT) } } } },
      ],
      nodes: [
        { op: 'LinearClassifier', domain: ML_DOMAIN, inputs: ['float_input'], outputs: ['output_label', 'probability_tensor'],
          attrs: { classlabels_strings: attr.strings(LINEAR.labels), coefficients: attr.floats(LINEAR.coefficients.flat()),
            intercepts: attr.floats(LINEAR.intercepts), multi_class: attr.int(1), post_transform: attr.string('SOFTMAX') } },
        { op: 'ZipMap', domain: ML_DOMAIN, inputs: ['probability_tensor'], outputs: ['output_probability'],
          attrs: { classlabels_strings: attr.strings(LINEAR.labels) } },
      ],
    },
  });
}

/**
 * A model that loads and scores one row, but fails for batches of two or more (a Reshape to a fixed [1, 1]):
 * a real run-time fault for rollback tests.
 */
export function breaksOnBatches(width = 3): Uint8Array {
  return buildModel({
    opsets: { '': 17 },
    graph: {
      name: 'fixed_batch',
      inputs: [{ name: 'X', type: tensorType(DataType.FLOAT, ['N', width]) }],
      outputs: [{ name: 'variable', type: tensorType(DataType.FLOAT, [1, 1]) }],
      initializers: [
        { name: 'axes', dataType: DataType.INT64, dims: [1], int64s: [1] },
        { name: 'shape', dataType: DataType.INT64, dims: [2], int64s: [1, 1] },
      ],
      nodes: [
        { op: 'ReduceSum', inputs: ['X', 'axes'], outputs: ['sum'], attrs: { keepdims: attr.int(1) } },
        { op: 'Reshape', inputs: ['sum', 'shape'], outputs: ['variable'] },
      ],
    },
  });
}

export const REGRESSOR_FEATURES: WindowFeature[] = [
  { sensor: 'a', aggregation: 'last', window: { readings: 1 } },
  { sensor: 'b', aggregation: 'last', window: { readings: 1 } },
  { sensor: 'c', aggregation: 'last', window: { readings: 1 } },
];

/** Manifest for the regressor on telemetry: last value of three sensors of `machine-*` assets. */
export function regressorManifest(version: string, extra: Partial<ModelManifest> = {}): ModelManifest {
  return {
    name: 'rul-test',
    version,
    mode: 'active',
    assets: { glob: 'machine-*' },
    input: { name: 'X', features: REGRESSOR_FEATURES },
    outputs: [{ name: 'rul', kind: 'rul', onnxOutput: 'variable' }],
    thresholds: [{ output: 'rul', when: 'below', value: 85, clear: 95, severity: 'critical' }],
    ...extra,
  };
}

export function classifierManifest(version: string, extra: Partial<ModelManifest> = {}): ModelManifest {
  return {
    name: 'failure-test',
    version,
    mode: 'active',
    assets: { ids: ['press-1', 'press-2'] },
    input: { name: 'input', message: ['temp', 'vibration'] },
    outputs: [
      { name: 'p_fail', kind: 'probability', onnxOutput: 'output_probability', class: 1 },
      { name: 'label', kind: 'label', onnxOutput: 'output_label' },
    ],
    thresholds: [{ output: 'p_fail', when: 'above', value: 0.8, clear: 0.5, severity: 'warning' }],
    ...extra,
  };
}

/**
 * Writes `<root>/<name>/<version>/` the way a deployment should: into a temporary sibling, then one rename, so
 * a watcher never sees half a folder.
 */
export function writeModelDir(root: string, manifest: ModelManifest | Record<string, unknown>, bytes: Uint8Array,
  at?: { name: string; version: string }): string {
  const name = at?.name ?? String(manifest.name);
  const version = at?.version ?? String(manifest.version);
  mkdirSync(join(root, name), { recursive: true });
  const tmp = join(root, name, `.tmp-${version}-${process.hrtime.bigint()}`);
  mkdirSync(tmp);
  writeFileSync(join(tmp, 'model.onnx'), bytes);
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const dir = join(root, name, version);
  renameSync(tmp, dir);
  return dir;
}

/**
 * ai4i-failure: probability that a milling machine fails, from one AI4I 2020 record (Matzka 2020). The graph
 * takes the six raw values of one message and derives the three physics features the dataset's failure modes
 * are defined on (heat dissipation: process − air temperature; power: torque × ω; overstrain: tool wear ×
 * torque), then a gradient-boosted TreeEnsembleClassifier + ZipMap, the shape skl2onnx gives a scikit-learn
 * classifier. Stratified 25 % hold-out with a fixed seed.
 */
import { PRODUCT_QUALITY, type Ai4iRow } from '../../shared/ml/datasets.js';
import { trainGbdt, type GbdtModel, type GbdtOptions } from './gbdt.js';
import { createRng, shuffle } from './rng.js';
import { attr, DataType, ML_DOMAIN, tensorType, type ModelSpec } from '../onnx/graph-builder.js';
import { binaryClassifierAttrs } from '../onnx/tree-ensemble.js';
import type { ManifestDocument } from '../../shared/ml/manifest.js';

/** Sensor names the AI4I replay publishes, in the order the model reads them. */
export const AI4I_MESSAGE = ['product_quality', 'air_temp_k', 'process_temp_k', 'rpm', 'torque_nm', 'tool_wear_min'];
export const AI4I_SEED = 20200;
export const AI4I_HOLDOUT = 0.25;
const OMEGA_PER_RPM = (2 * Math.PI) / 60;

export const AI4I_OPTIONS: GbdtOptions = {
  loss: 'logistic', rounds: 150, learningRate: 0.1, maxLeaves: 15, maxDepth: 6, minSamplesLeaf: 10, l2: 1, maxBins: 255,
};

export function ai4iRaw(r: Ai4iRow): number[] {
  return [PRODUCT_QUALITY[r.type], r.airTempK, r.processTempK, r.rpm, r.torqueNm, r.toolWearMin];
}

/** Raw values plus the physics features, computed in float32 exactly as the ONNX graph does. */
export function ai4iFeatures(raw: readonly number[]): Float64Array {
  const f = Math.fround;
  const [, air, proc, rpm, torque, wear] = raw.map((v) => f(v)) as [number, number, number, number, number, number];
  return Float64Array.from([...raw.map((v) => f(v)), f(proc - air), f(f(torque * rpm) * f(OMEGA_PER_RPM)), f(wear * torque)]);
}

export function ai4iSplit(rows: readonly Ai4iRow[], seed = AI4I_SEED): { train: Ai4iRow[]; test: Ai4iRow[] } {
  const rng = createRng(seed);
  const train: Ai4iRow[] = [];
  const test: Ai4iRow[] = [];
  for (const label of [0, 1] as const) {
    const cls = shuffle(rows.filter((r) => r.failure === label), rng);
    const nTest = Math.round(cls.length * AI4I_HOLDOUT);
    test.push(...cls.slice(0, nTest));
    train.push(...cls.slice(nTest));
  }
  const byUdi = (a: Ai4iRow, b: Ai4iRow) => a.udi - b.udi;
  return { train: train.sort(byUdi), test: test.sort(byUdi) };
}

export function trainAi4i(train: readonly Ai4iRow[], onRound?: (r: number) => void): GbdtModel {
  return trainGbdt(train.map((r) => ai4iFeatures(ai4iRaw(r))), train.map((r) => r.failure), AI4I_OPTIONS, onRound);
}

export function ai4iGraph(model: GbdtModel): ModelSpec {
  const col = (i: number, out: string) => ({ op: 'Gather', inputs: ['input', `idx_${i}`], outputs: [out], attrs: { axis: attr.int(1) } });
  return {
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    producerName: 'smartmaint-train',
    graph: {
      name: 'ai4i_failure',
      inputs: [{ name: 'input', type: tensorType(DataType.FLOAT, ['N', AI4I_MESSAGE.length]) }],
      outputs: [
        { name: 'output_label', type: tensorType(DataType.INT64, ['N']) },
        { name: 'output_probability', type: { sequence: { map: { key: DataType.INT64, value: tensorType(DataType.FLOAT) } } } },
      ],
      initializers: [1, 2, 3, 4, 5].map((i) => ({ name: `idx_${i}`, dataType: DataType.INT64, dims: [1], int64s: [i] }))
        .concat([{ name: 'omega_per_rpm', dataType: DataType.FLOAT, dims: [1], floats: [OMEGA_PER_RPM] } as never]),
      nodes: [
        col(1, 'air'), col(2, 'proc'), col(3, 'rpm'), col(4, 'torque'), col(5, 'wear'),
        { op: 'Sub', inputs: ['proc', 'air'], outputs: ['temp_diff'] },
        { op: 'Mul', inputs: ['torque', 'rpm'], outputs: ['torque_rpm'] },
        { op: 'Mul', inputs: ['torque_rpm', 'omega_per_rpm'], outputs: ['power_w'] },
        { op: 'Mul', inputs: ['wear', 'torque'], outputs: ['wear_torque'] },
        { op: 'Concat', inputs: ['input', 'temp_diff', 'power_w', 'wear_torque'], outputs: ['features'], attrs: { axis: attr.int(1) } },
        { op: 'TreeEnsembleClassifier', domain: ML_DOMAIN, inputs: ['features'], outputs: ['output_label', 'probabilities'],
          attrs: binaryClassifierAttrs(model.trees, model.base) },
        { op: 'ZipMap', domain: ML_DOMAIN, inputs: ['probabilities'], outputs: ['output_probability'],
          attrs: { classlabels_int64s: attr.ints([0, 1]) } },
      ],
    },
  };
}

export function ai4iManifest(version: string, training: Record<string, unknown>): ManifestDocument {
  return {
    name: 'ai4i-failure',
    version,
    description: 'Probability of machine failure for a milling machine (AI4I 2020 dataset): gradient-boosted trees on '
      + 'the raw process values and three physics features computed inside the graph.',
    mode: 'active',
    assets: { glob: 'mill-*' },
    input: { name: 'input', message: AI4I_MESSAGE },
    outputs: [
      { name: 'failure_probability', kind: 'probability', onnxOutput: 'output_probability', class: 1 },
      { name: 'failure_label', kind: 'label', onnxOutput: 'output_label' },
    ],
    thresholds: [
      { output: 'failure_probability', when: 'above', value: 0.5, clear: 0.3, severity: 'warning', for: '5s', clearFor: '10s' },
      { output: 'failure_probability', when: 'above', value: 0.9, clear: 0.7, severity: 'critical', for: '5s', clearFor: '10s' },
    ],
    training,
  };
}

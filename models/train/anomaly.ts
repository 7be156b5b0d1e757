/**
 * anomaly: an unsupervised multivariate health detector for turbofan engines. Each of the 14 varying FD001
 * sensors is averaged over the last 10 cycles; the detector is the squared Mahalanobis distance of that vector
 * from healthy operation, divided by the number of sensors (≈ 1 when healthy). Healthy operation = cycles
 * 10…50 of every training engine (the C-MAPSS fault grows from an unknown but small initial wear; engines run
 * 128–362 cycles). The graph: Scaler (standardize) → MatMul (whitening, inverse Cholesky factor of the
 * standardized covariance) → Mul (square) → ReduceSum → Mul (1/p).
 */
import type { Engine, Fd001 } from '../../shared/ml/datasets.js';
import { seriesOf, windowFeatureRow } from './feature-rows.js';
import { TURBOFAN_SENSORS } from './turbofan-rul.js';
import { attr, DataType, ML_DOMAIN, tensorType, type ModelSpec } from '../onnx/graph-builder.js';
import type { ManifestDocument, WindowFeature } from '../../shared/ml/manifest.js';

export const ANOMALY_WINDOW = 10;
export const HEALTHY_FIRST = 10;
export const HEALTHY_LAST = 50;
/** Ridge added to the standardized covariance: keeps the whitening stable for nearly collinear sensors. */
const RIDGE = 1e-3;

export interface AnomalyModel {
  center: number[];
  scale: number[];
  /** Row-major p×p matrix W with ||z W||² = zᵀ Σ⁻¹ z. */
  whitening: number[];
  /** Alarm level: the chosen quantile of healthy scores. */
  threshold: number;
}

export function anomalyFeatures(): WindowFeature[] {
  // fitted on full windows only, so it scores only once a stream has ANOMALY_WINDOW cycles
  return TURBOFAN_SENSORS.map((sensor) => ({ name: `${sensor}.mean10`, sensor, aggregation: 'mean' as const,
    window: { readings: ANOMALY_WINDOW }, minReadings: ANOMALY_WINDOW }));
}

export function engineFeatureRows(engine: Engine): Float64Array[] {
  const features = anomalyFeatures();
  const series = seriesOf(engine.rows, TURBOFAN_SENSORS);
  return engine.rows.map((_, t) => windowFeatureRow(features, series, t));
}

function cholesky(a: number[][]): number[][] {
  const n = a.length;
  const L = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = i === j ? Math.sqrt(s) : s / L[j]![j]!;
    }
  }
  return L;
}

function invertLower(L: number[][]): number[][] {
  const n = L.length;
  const inv = L.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    inv[i]![i] = 1 / L[i]![i]!;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i]![k]! * inv[k]![j]!;
      inv[i]![j] = s / L[i]![i]!;
    }
  }
  return inv;
}

/** Score computed the way the graph does (float64 here; the graph is float32). */
export function anomalyScore(m: AnomalyModel, x: ArrayLike<number>): number {
  const p = m.center.length;
  let sum = 0;
  for (let j = 0; j < p; j++) {
    let y = 0;
    for (let i = 0; i < p; i++) y += ((x[i]! - m.center[i]!) / m.scale[i]!) * m.whitening[i * p + j]!;
    sum += y * y;
  }
  return sum / p;
}

export function fitAnomaly(data: Fd001, quantile = 0.999): AnomalyModel {
  const healthy: Float64Array[] = [];
  for (const e of data.train) {
    const rows = engineFeatureRows(e);
    for (let t = HEALTHY_FIRST - 1; t < Math.min(HEALTHY_LAST, rows.length); t++) healthy.push(rows[t]!);
  }
  const p = TURBOFAN_SENSORS.length;
  const n = healthy.length;
  const center = new Array<number>(p).fill(0);
  for (const r of healthy) for (let i = 0; i < p; i++) center[i]! += r[i]! / n;
  const scale = center.map((c, i) => Math.sqrt(healthy.reduce((s, r) => s + (r[i]! - c) ** 2, 0) / n) || 1);
  const cov = center.map(() => new Array<number>(p).fill(0));
  for (const r of healthy) {
    for (let i = 0; i < p; i++) {
      const zi = (r[i]! - center[i]!) / scale[i]!;
      for (let j = 0; j < p; j++) cov[i]![j]! += (zi * (r[j]! - center[j]!) / scale[j]!) / n;
    }
  }
  for (let i = 0; i < p; i++) cov[i]![i]! += RIDGE;
  const Linv = invertLower(cholesky(cov));
  // y = L⁻¹ z  ⇒  as a row vector y = z (L⁻¹)ᵀ, so W[i][j] = L⁻¹[j][i]
  const whitening: number[] = [];
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) whitening.push(Linv[j]![i]!);
  const model: AnomalyModel = { center, scale, whitening, threshold: 0 };
  const scores = healthy.map((r) => anomalyScore(model, r)).sort((a, b) => a - b);
  model.threshold = scores[Math.min(scores.length - 1, Math.floor(quantile * scores.length))]!;
  return model;
}

export function anomalyGraph(m: AnomalyModel): ModelSpec {
  const p = m.center.length;
  return {
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    producerName: 'smartmaint-train',
    graph: {
      name: 'mahalanobis',
      inputs: [{ name: 'features', type: tensorType(DataType.FLOAT, ['N', p]) }],
      outputs: [{ name: 'score', type: tensorType(DataType.FLOAT, ['N', 1]) }],
      initializers: [
        { name: 'whitening', dataType: DataType.FLOAT, dims: [p, p], floats: m.whitening },
        { name: 'axes', dataType: DataType.INT64, dims: [1], int64s: [1] },
        { name: 'inv_p', dataType: DataType.FLOAT, dims: [1], floats: [1 / p] },
      ],
      nodes: [
        { op: 'Scaler', domain: ML_DOMAIN, inputs: ['features'], outputs: ['z'],
          attrs: { offset: attr.floats(m.center), scale: attr.floats(m.scale.map((s) => 1 / s)) } },
        { op: 'MatMul', inputs: ['z', 'whitening'], outputs: ['y'] },
        { op: 'Mul', inputs: ['y', 'y'], outputs: ['y2'] },
        { op: 'ReduceSum', inputs: ['y2', 'axes'], outputs: ['d2'], attrs: { keepdims: attr.int(1) } },
        { op: 'Mul', inputs: ['d2', 'inv_p'], outputs: ['score'] },
      ],
    },
  };
}

export function anomalyManifest(version: string, m: AnomalyModel, training: Record<string, unknown>): ManifestDocument {
  const t = Number(m.threshold.toPrecision(4));
  return {
    name: 'anomaly',
    version,
    description: 'Unsupervised turbofan health detector: squared Mahalanobis distance (per sensor) of the 10-cycle '
      + 'means of 14 sensors from healthy operation (cycles 10-50 of the FD001 training engines).',
    mode: 'active',
    assets: { glob: 'engine-*' },
    input: { name: 'features', features: anomalyFeatures() },
    outputs: [{ name: 'anomaly_score', kind: 'anomaly-score', onnxOutput: 'score', column: 0 }],
    thresholds: [
      { output: 'anomaly_score', when: 'above', value: t, clear: Number((t * 0.8).toPrecision(4)), severity: 'warning', for: '10s', clearFor: '20s' },
    ],
    training,
  };
}

export interface AnomalyEvaluation {
  threshold: number;
  /** Test engines that alarmed at least once / all test engines. */
  testEnginesAlarmed: number;
  testEngines: number;
  /** Cycles before (extrapolated) failure at the first alarm, over test engines that alarmed. */
  leadCyclesMedian: number;
  leadCyclesMin: number;
  /** Same on the run-to-failure training engines, cycles after the healthy fit window only. */
  trainLeadCyclesMedian: number;
  trainEnginesAlarmed: number;
  /** Share of healthy test cycles (true remaining life > 150) with score above the threshold. */
  falseAlarmRate: number;
  healthyCycles: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const HEALTHY_RUL = 150;

/** `scores.train[k]` / `scores.test[k]`: one score per cycle of engine k (rows from engineFeatureRows). */
export function evaluateAnomaly(data: Fd001, scores: { train: number[][]; test: number[][] }, threshold: number):
AnomalyEvaluation {
  const leads: number[] = [];
  let healthy = 0;
  let falseAlarms = 0;
  data.test.forEach((engine, k) => {
    const engineScores = scores.test[k] ?? [];
    const failureAt = engine.rows.length + data.testRul[k]!; // cycles counted from 1
    const first = engineScores.findIndex((s, t) => t >= ANOMALY_WINDOW - 1 && s > threshold);
    if (first >= 0) leads.push(failureAt - (first + 1));
    engineScores.forEach((s, t) => {
      if (t < ANOMALY_WINDOW - 1 || failureAt - (t + 1) <= HEALTHY_RUL) return;
      healthy++;
      if (s > threshold) falseAlarms++;
    });
  });
  const trainLeads: number[] = [];
  data.train.forEach((engine, k) => {
    const first = (scores.train[k] ?? []).findIndex((s, t) => t >= HEALTHY_LAST && s > threshold);
    if (first >= 0) trainLeads.push(engine.rows.length - (first + 1));
  });
  return {
    threshold,
    testEnginesAlarmed: leads.length,
    testEngines: data.test.length,
    leadCyclesMedian: median(leads),
    leadCyclesMin: leads.length ? Math.min(...leads) : NaN,
    trainLeadCyclesMedian: median(trainLeads),
    trainEnginesAlarmed: trainLeads.length,
    falseAlarmRate: healthy === 0 ? 0 : falseAlarms / healthy,
    healthyCycles: healthy,
  };
}

/**
 * turbofan-rul: remaining useful life of a C-MAPSS FD001 engine (Saxena et al., PHM08), gradient-boosted trees
 * on window features. Protocol: train on every prefix (cycle >= 5) of each training engine with the target
 * min(remaining cycles, 125); evaluate on the last cycle of each test engine against RUL_FD001.
 */
import type { Fd001 } from '../../shared/ml/datasets.js';
import { seriesOf, windowFeatureRow } from './feature-rows.js';
import { trainGbdt, type GbdtModel, type GbdtOptions } from './gbdt.js';
import type { ManifestDocument, WindowFeature } from '../../shared/ml/manifest.js';

/** The 14 FD001 sensors that vary; the other seven are constant under FD001's single operating condition. */
export const TURBOFAN_SENSORS = ['s2', 's3', 's4', 's7', 's8', 's9', 's11', 's12', 's13', 's14', 's15', 's17', 's20', 's21'];
export const RUL_CAP = 125;
export const WINDOW = 30;
export const MIN_CYCLE = 5;

export const TURBOFAN_OPTIONS: GbdtOptions = {
  loss: 'squared', rounds: 150, learningRate: 0.1, maxLeaves: 15, maxDepth: 6, minSamplesLeaf: 20, l2: 1, maxBins: 128,
};

export function turbofanFeatures(): WindowFeature[] {
  const out: WindowFeature[] = [];
  for (const sensor of TURBOFAN_SENSORS) {
    for (const aggregation of ['last', 'mean', 'std', 'slope'] as const) {
      // trained on prefixes from cycle MIN_CYCLE on: no prediction from fewer readings than that
      out.push({ name: `${sensor}.${aggregation}`, sensor, aggregation, window: { readings: WINDOW }, minReadings: MIN_CYCLE });
    }
  }
  out.push({ name: 'cycle', sensor: 'cycle', aggregation: 'last', window: { readings: 1 } });
  return out;
}

export function turbofanTrainingSet(data: Fd001): { X: Float64Array[]; y: number[] } {
  const features = turbofanFeatures();
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const engine of data.train) {
    const series = seriesOf(engine.rows, [...TURBOFAN_SENSORS, 'cycle']);
    const last = engine.rows.length - 1;
    for (let t = MIN_CYCLE - 1; t <= last; t++) {
      X.push(windowFeatureRow(features, series, t));
      y.push(Math.min(RUL_CAP, last - t));
    }
  }
  return { X, y };
}

/** Feature rows at the last cycle of each test engine, with the true RUL. */
export function turbofanTestSet(data: Fd001): { X: Float64Array[]; y: number[] } {
  const features = turbofanFeatures();
  const X = data.test.map((engine) => windowFeatureRow(features,
    seriesOf(engine.rows, [...TURBOFAN_SENSORS, 'cycle']), engine.rows.length - 1));
  return { X, y: data.testRul.slice() };
}

export function trainTurbofan(data: Fd001, onRound?: (r: number) => void): GbdtModel {
  const { X, y } = turbofanTrainingSet(data);
  return trainGbdt(X, y, TURBOFAN_OPTIONS, onRound);
}

export function turbofanManifest(version: string, training: Record<string, unknown>): ManifestDocument {
  return {
    name: 'turbofan-rul',
    version,
    description: 'Remaining useful life (cycles, capped at 125) of a turbofan engine from the last 30 cycles of '
      + '14 sensors; gradient-boosted trees trained on NASA C-MAPSS FD001.',
    mode: 'active',
    assets: { glob: 'engine-*' },
    input: { name: 'features', features: turbofanFeatures() },
    outputs: [{ name: 'rul', kind: 'rul', onnxOutput: 'rul', column: 0, unit: 'cycles' }],
    thresholds: [
      { output: 'rul', when: 'below', value: 50, clear: 60, severity: 'warning', for: '5s', clearFor: '10s' },
      { output: 'rul', when: 'below', value: 20, clear: 30, severity: 'critical', for: '5s', clearFor: '10s' },
    ],
    training,
  };
}

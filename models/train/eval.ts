/**
 * `npm run models:eval [-- --json] [--models-dir DIR]`: scores the committed default models through the gateway's
 * own loading and scoring path (gateway/scoring/model-loader.ts, onnxruntime-node) on the held-out data and
 * prints the figures next to the published ones.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, type LoadedModel } from '../../gateway/scoring/model-loader.js';
import { defaultDataDir, loadAi4i, loadFd001, type Engine } from '../../shared/ml/datasets.js';
import { turbofanTestSet } from './turbofan-rul.js';
import { ai4iRaw, ai4iSplit } from './ai4i-failure.js';
import { engineFeatureRows, evaluateAnomaly, type AnomalyEvaluation } from './anomaly.js';
import { phm08Score, precisionRecallF1, rmse, rocAuc } from './metrics.js';
import { DEFAULT_VERSION, defaultModelsDir } from './build.js';

export interface Evaluation {
  fd001: { rmse: number; score: number; rmseCappedTruth: number; engines: number; microsPerRow: number };
  ai4i: { rocAuc: number; f1: number; precision: number; recall: number; threshold: number; testRows: number; failures: number };
  anomaly: AnomalyEvaluation;
}

export const PUBLISHED_FD001 = [
  { model: 'CNN (Babu et al. 2016)', rmse: 18.45 },
  { model: 'deep LSTM (Zheng et al. 2017)', rmse: 16.14 },
  { model: 'DCNN (Li et al. 2018)', rmse: 12.61 },
];

async function column(model: LoadedModel, rows: readonly ArrayLike<number>[], output: string): Promise<number[]> {
  const out = await model.runRows(rows);
  return out.map((r) => r[output]!);
}

export async function evaluate(modelsDir: string, version = DEFAULT_VERSION, dataDir = defaultDataDir()): Promise<Evaluation> {
  const fd001 = loadFd001(dataDir);
  const rul = await loadModel(join(modelsDir, 'turbofan-rul', version));
  const ai4iModel = await loadModel(join(modelsDir, 'ai4i-failure', version));
  const anomalyModel = await loadModel(join(modelsDir, 'anomaly', version));
  try {
    const test = turbofanTestSet(fd001);
    const pred = await column(rul, test.X, 'rul'); // also warms the session up
    const reps = 20;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await rul.runRows(test.X);
    const microsPerRow = ((performance.now() - t0) * 1000) / (reps * test.X.length);
    const capped = test.y.map((v) => Math.min(v, 125));

    const split = ai4iSplit(loadAi4i(dataDir));
    const p = await column(ai4iModel, split.test.map(ai4iRaw), 'failure_probability');
    const y = split.test.map((r) => r.failure);
    const threshold = 0.5;

    const anomalyThreshold = anomalyModel.manifest.thresholds.find((t) => t.output === 'anomaly_score')?.value ?? NaN;
    const engineScores = async (engines: Engine[]) => {
      const out: number[][] = [];
      for (const e of engines) out.push(await column(anomalyModel, engineFeatureRows(e), 'anomaly_score'));
      return out;
    };
    const anomalyScores = { train: await engineScores(fd001.train), test: await engineScores(fd001.test) };
    const anomaly = evaluateAnomaly(fd001, anomalyScores, anomalyThreshold);

    return {
      fd001: { rmse: rmse(pred, test.y), score: phm08Score(pred, test.y), rmseCappedTruth: rmse(pred, capped),
        engines: test.y.length, microsPerRow },
      ai4i: { rocAuc: rocAuc(p, y), ...precisionRecallF1(p, y, threshold), threshold, testRows: y.length,
        failures: y.filter((v) => v === 1).length },
      anomaly,
    };
  } finally {
    await Promise.all([rul.release(), ai4iModel.release(), anomalyModel.release()]);
  }
}

export function formatTable(e: Evaluation): string {
  const f = (v: number, d = 2) => v.toFixed(d);
  const lines = [
    'turbofan-rul — NASA C-MAPSS FD001, last cycle of each of the 100 test engines vs RUL_FD001',
    '  model                              RMSE    PHM08 score',
    ...PUBLISHED_FD001.map((p) => `  ${p.model.padEnd(34)} ${f(p.rmse).padStart(6)}    (published)`),
    `  ${'this project: GBDT (150 trees)'.padEnd(34)} ${f(e.fd001.rmse).padStart(6)}    ${f(e.fd001.score, 0)}`,
    `  (RMSE against the true RUL capped at 125 like the training target: ${f(e.fd001.rmseCappedTruth)}; `
      + `${f(e.fd001.microsPerRow, 1)} µs per row in batches of 100)`,
    '',
    `ai4i-failure — AI4I 2020, stratified 25% hold-out (${e.ai4i.testRows} rows, ${e.ai4i.failures} failures)`,
    `  ROC-AUC ${f(e.ai4i.rocAuc, 4)}   failure class at p >= ${e.ai4i.threshold}: precision ${f(e.ai4i.precision, 3)}  `
      + `recall ${f(e.ai4i.recall, 3)}  F1 ${f(e.ai4i.f1, 3)}`,
    '  (reference: scikit-learn HistGradientBoosting with the same physics features, AUC 0.982, F1 0.86)',
    '',
    `anomaly — Mahalanobis detector, threshold ${f(e.anomaly.threshold, 3)}`,
    `  training engines (run to failure): ${e.anomaly.trainEnginesAlarmed}/100 alarm after the fit window, median `
      + `${f(e.anomaly.trainLeadCyclesMedian, 1)} cycles before failure`,
    `  test engines: ${e.anomaly.testEnginesAlarmed}/${e.anomaly.testEngines} alarm before the data ends, median `
      + `${f(e.anomaly.leadCyclesMedian, 1)} (min ${f(e.anomaly.leadCyclesMin, 0)}) cycles before failure`,
    `  false alarms on healthy test cycles (true remaining life > 150): ${f(e.anomaly.falseAlarmRate * 100, 2)}% `
      + `of ${e.anomaly.healthyCycles}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const at = argv.indexOf('--models-dir');
  const modelsDir = at >= 0 && argv[at + 1] ? argv[at + 1]! : defaultModelsDir();
  const e = await evaluate(modelsDir);
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify(e, null, 2)}\n` : formatTable(e));
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (err: unknown) => {
    process.stderr.write(`models:eval: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}

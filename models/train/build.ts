/**
 * `npm run models:build`: trains the three default models from models/data (deterministic: fixed seeds, no
 * sampling) and writes models/<name>/<version>/{model.onnx,manifest.json}. Progress on a TTY only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, loadAi4i, loadFd001 } from '../../shared/ml/datasets.js';
import { TURBOFAN_OPTIONS, trainTurbofan, turbofanManifest, turbofanTestSet, RUL_CAP, WINDOW } from './turbofan-rul.js';
import { AI4I_OPTIONS, AI4I_SEED, AI4I_HOLDOUT, ai4iGraph, ai4iManifest, ai4iSplit, trainAi4i } from './ai4i-failure.js';
import { anomalyGraph, anomalyManifest, fitAnomaly, HEALTHY_FIRST, HEALTHY_LAST } from './anomaly.js';
import { buildModel, DataType, ML_DOMAIN, tensorType } from '../onnx/graph-builder.js';
import { loadOnnxTypes } from '../../shared/ml/onnx-proto.js';
import { predictTrees, regressorAttrs } from '../onnx/tree-ensemble.js';
import { rmse, phm08Score } from './metrics.js';
import type { ManifestDocument } from '../../shared/ml/manifest.js';

export const DEFAULT_VERSION = '1.0.0';

export function defaultModelsDir(): string {
  return join(defaultDataDir(), '..');
}

function write(modelsDir: string, manifest: ManifestDocument, bytes: Uint8Array): string {
  const dir = join(modelsDir, manifest.name, manifest.version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

export async function buildDefaultModels(opts: { modelsDir: string; dataDir: string; version: string;
  progress: (msg: string) => void }): Promise<string[]> {
  const types = loadOnnxTypes();
  const written: string[] = [];
  const fd001 = loadFd001(opts.dataDir);

  const turbofan = trainTurbofan(fd001, (r) => { if (r % 25 === 0) opts.progress(`turbofan-rul: round ${r}/${TURBOFAN_OPTIONS.rounds}`); });
  const test = turbofanTestSet(fd001);
  const pred = test.X.map((x) => predictTrees(turbofan.trees, turbofan.base, x));
  const nFeatures = test.X[0]!.length;
  const turbofanBytes = buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    producerName: 'smartmaint-train',
    graph: {
      name: 'turbofan_rul',
      inputs: [{ name: 'features', type: tensorType(DataType.FLOAT, ['N', nFeatures]) }],
      outputs: [{ name: 'rul', type: tensorType(DataType.FLOAT, ['N', 1]) }],
      nodes: [{ op: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['features'], outputs: ['rul'],
        attrs: regressorAttrs(turbofan.trees, turbofan.base) }],
    },
  }, types);
  written.push(write(opts.modelsDir, turbofanManifest(opts.version, {
    dataset: 'NASA C-MAPSS FD001 (train_FD001: every prefix with cycle >= 5; target min(RUL, 125))',
    algorithm: 'histogram gradient-boosted regression trees (models/train/gbdt.ts)',
    options: TURBOFAN_OPTIONS, window: WINDOW, rulCap: RUL_CAP, trees: turbofan.trees.length,
    test: { rmse: rmse(pred, test.y), phm08Score: phm08Score(pred, test.y) },
  }), turbofanBytes));

  const ai4i = loadAi4i(opts.dataDir);
  const split = ai4iSplit(ai4i);
  const ai4iModel = trainAi4i(split.train, (r) => { if (r % 50 === 0) opts.progress(`ai4i-failure: round ${r}/${AI4I_OPTIONS.rounds}`); });
  written.push(write(opts.modelsDir, ai4iManifest(opts.version, {
    dataset: 'AI4I 2020 (UCI, CC BY 4.0)', split: { seed: AI4I_SEED, holdout: AI4I_HOLDOUT, stratified: true },
    algorithm: 'histogram gradient-boosted trees, log-loss', options: AI4I_OPTIONS, trees: ai4iModel.trees.length,
    trainRows: split.train.length, testRows: split.test.length,
  }), buildModel(ai4iGraph(ai4iModel), types)));

  opts.progress('anomaly: fitting');
  const anomaly = fitAnomaly(fd001);
  written.push(write(opts.modelsDir, anomalyManifest(opts.version, anomaly, {
    dataset: 'NASA C-MAPSS FD001 train_FD001', healthyCycles: [HEALTHY_FIRST, HEALTHY_LAST],
    thresholdQuantile: 0.999, threshold: anomaly.threshold,
  }), buildModel(anomalyGraph(anomaly), types)));
  return written;
}

export async function main(argv: string[]): Promise<number> {
  const modelsDir = argv[argv.indexOf('--models-dir') + 1] && argv.includes('--models-dir')
    ? argv[argv.indexOf('--models-dir') + 1]! : defaultModelsDir();
  const tty = process.stdout.isTTY === true;
  const dirs = await buildDefaultModels({
    modelsDir, dataDir: defaultDataDir(), version: DEFAULT_VERSION,
    progress: (msg) => { if (tty) process.stdout.write(`\r\x1b[K${msg}`); },
  });
  if (tty) process.stdout.write('\r\x1b[K');
  for (const d of dirs) process.stdout.write(`wrote ${d}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (err: unknown) => {
    process.stderr.write(`models:build: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}

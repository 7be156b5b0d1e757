import t from 'tap';
import * as ort from 'onnxruntime-node';
import { trainGbdt } from '../../models/train/gbdt.js';
import { buildModel, DataType, ML_DOMAIN, tensorType } from '../../models/onnx/graph-builder.js';
import { predictTrees, regressorAttrs } from '../../models/onnx/tree-ensemble.js';
import { createRng } from '../../models/train/rng.js';
import { rmse } from '../../models/train/metrics.js';

function dataset(n: number, seed: number) {
  const rng = createRng(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng() * 10;
    const b = rng() * 10;
    X.push([a, b, rng()]);
    y.push((a > 5 ? 20 : 0) + 2 * b + (rng() - 0.5));
  }
  return { X, y };
}

const opts = { loss: 'squared' as const, rounds: 60, learningRate: 0.2, maxLeaves: 8, maxDepth: 4, minSamplesLeaf: 5, l2: 1, maxBins: 64 };

t.test('boosting learns a step plus a slope, and is deterministic', async (t) => {
  const train = dataset(800, 1);
  const test = dataset(200, 2);
  const m1 = trainGbdt(train.X, train.y, opts);
  const m2 = trainGbdt(train.X, train.y, opts);
  t.same(m1, m2, 'same data, same trees');
  const pred = test.X.map((x) => predictTrees(m1.trees, m1.base, x));
  const baseline = rmse(test.X.map(() => m1.base), test.y);
  t.ok(rmse(pred, test.y) < 2.5, `rmse ${rmse(pred, test.y)} (mean-only baseline ${baseline})`);
});

t.test('onnxruntime scores the exported trees exactly as the trainer does', async (t) => {
  const train = dataset(500, 3);
  const m = trainGbdt(train.X, train.y, opts);
  const bytes = buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    graph: {
      name: 'gbdt', inputs: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 3]) }],
      outputs: [{ name: 'y', type: tensorType(DataType.FLOAT, ['N', 1]) }],
      nodes: [{ op: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['x'], outputs: ['y'], attrs: regressorAttrs(m.trees, m.base) }],
    },
  });
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from(train.X.flat()), [train.X.length, 3]) });
  await s.release();
  const got = out.y!.data as Float32Array;
  let worst = 0;
  train.X.forEach((x, i) => { worst = Math.max(worst, Math.abs(got[i]! - predictTrees(m.trees, m.base, x))); });
  t.ok(worst < 1e-3, `largest difference ${worst}`);
});

t.test('logistic loss separates two classes', async (t) => {
  const rng = createRng(9);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 600; i++) {
    const a = rng();
    X.push([a, rng()]);
    y.push(a > 0.7 ? 1 : 0);
  }
  const m = trainGbdt(X, y, { ...opts, loss: 'logistic' });
  const p = (x: number[]) => 1 / (1 + Math.exp(-predictTrees(m.trees, m.base, x)));
  t.ok(p([0.9, 0.5]) > 0.9);
  t.ok(p([0.2, 0.5]) < 0.1);
});

t.test('bad input is refused', async (t) => {
  t.throws(() => trainGbdt([], [], opts), /empty/);
  t.throws(() => trainGbdt([[1]], [1], { ...opts, maxBins: 300 }), /maxBins/);
});

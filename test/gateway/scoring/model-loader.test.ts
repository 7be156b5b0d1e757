import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../../gateway/scoring/model-loader.js';
import { ModelInvalidError } from '../../../gateway/scoring/model-errors.js';
import { rewriteZipMap } from '../../../gateway/scoring/zipmap-rewrite.js';
import { attr, buildModel, DataType, ML_DOMAIN, tensorType } from '../../../models/onnx/graph-builder.js';
import { regressorAttrs } from '../../../models/onnx/tree-ensemble.js';
import {
  REGRESSOR, REGRESSOR_FEATURES, REGRESSOR_TREE, classifierManifest, expectedFailureProbability, expectedLinear, expectedRul, LINEAR, linearClassifier, mlRegressor,
  regressorManifest, sklTreeClassifier, writeModelDir,
} from './fixtures.js';

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smartmaint-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function refused(t: Test, dir: string, pattern: RegExp): Promise<void> {
  try {
    const m = await loadModel(dir);
    await m.release();
    t.fail(`expected ${dir} to be refused`);
  } catch (err) {
    t.type(err, ModelInvalidError);
    t.match((err as Error).message, pattern);
  }
}

t.test('onnxruntime-node cannot return ZipMap output; the rewritten graph can', async (t) => {
  const bytes = sklTreeClassifier();
  const raw = await ort.InferenceSession.create(bytes);
  const feeds = { input: new ort.Tensor('float32', Float32Array.from([60, 5]), [1, 2]) };
  await t.rejects(raw.run(feeds), /Non tensor type/, 'the limitation the rewrite exists for');
  await raw.release();
  const { bytes: fixed, zipmaps } = rewriteZipMap(bytes);
  t.same(zipmaps, [{ output: 'output_probability', labels: [0, 1] }]);
  const s = await ort.InferenceSession.create(fixed);
  const out = await s.run(feeds);
  t.same(out.output_probability!.dims, [1, 2]);
  t.ok(Math.abs((out.output_probability!.data as Float32Array)[1]! - expectedFailureProbability(60, 5)) < 1e-6);
  await s.release();
  t.equal(rewriteZipMap(mlRegressor()).bytes.length, mlRegressor().length, 'graphs without ZipMap are left alone');
});

t.test('a skl2onnx-style tree classifier with ZipMap scores as computed by hand', async (t) => {
  const root = tmp(t);
  const dir = writeModelDir(root, classifierManifest('1'), sklTreeClassifier());
  const m = await loadModel(dir);
  t.teardown(() => m.release());
  const cases: Array<[number, number]> = [[40, 1], [60, 1], [60, 5], [90, 5], [50, 3], [50.001, 3.001]];
  const out = await m.runRows(cases);
  cases.forEach(([temp, vib], i) => {
    const p = expectedFailureProbability(temp, vib);
    t.ok(Math.abs(out[i]!.p_fail! - p) < 1e-6, `p_fail(${temp}, ${vib}) = ${p}`);
    t.equal(out[i]!.label, p > 0.5 ? 1 : 0, 'label');
  });
});

t.test('a regressor of ai.onnx.ml operators (Scaler → TreeEnsembleRegressor) scores as computed by hand', async (t) => {
  const root = tmp(t);
  const dir = writeModelDir(root, regressorManifest('1'), mlRegressor());
  const m = await loadModel(dir);
  t.teardown(() => m.release());
  const rows: Array<[number, number, number]> = [[10, 0, 5], [12, 0, 5], [12.5, 1, 5], [11, 0, 6], [30, 1, 1]];
  const out = await m.runRows(rows);
  rows.forEach((r, i) => t.equal(out[i]!.rul, expectedRul(...r), `rul(${r.join(',')})`));
});

t.test('runMatrixTimed: rows in one matrix, one column per output, the same values as runRows', async (t) => {
  const root = tmp(t);
  const dir = writeModelDir(root, regressorManifest('1'), mlRegressor());
  const m = await loadModel(dir);
  t.teardown(() => m.release());
  const rows: Array<[number, number, number]> = [[10, 0, 5], [12, 0, 5], [12.5, 1, 5], [11, 0, 6], [30, 1, 1]];
  const { columns, runMs } = await m.runMatrixTimed(Float64Array.from(rows.flat()), rows.length);
  t.same(m.outputNames, ['rul']);
  t.equal(columns.length, 1);
  t.same([...columns[0]!], (await m.runRows(rows)).map((o) => o.rul));
  rows.forEach((r, i) => t.equal(columns[0]![i], expectedRul(...r)));
  t.ok(runMs >= 0);
  const empty = await m.runMatrixTimed(new Float64Array(0), 0);
  t.same(empty.columns.map((c) => c.length), [0], 'no rows: empty columns, no run');
  await t.rejects(m.runMatrixTimed(new Float64Array(5), 2), /5 feature values for 2 rows of 3/, 'a short matrix is refused');
});

t.test('a graph whose batch axis is fixed at 1 scores a matrix row by row, with the same values', async (t) => {
  const root = tmp(t);
  const m = await loadModel(writeModelDir(root, regressorManifest('1'), mlRegressor({ batch: 1 })));
  t.teardown(() => m.release());
  t.equal(m.batchable, false);
  const rows: Array<[number, number, number]> = [[10, 0, 5], [12.5, 1, 5], [30, 1, 1]];
  const { columns } = await m.runMatrixTimed(Float64Array.from(rows.flat()), rows.length);
  t.same([...columns[0]!], rows.map((r) => expectedRul(...r)));
});

t.test('manifest scaling is applied before the graph', async (t) => {
  const root = tmp(t);
  // the graph's Scaler expects raw x0; feeding (x0 - 2) / 0.5 after manifest scaling of x0 = 11 gives 18 → > 12
  const dir = writeModelDir(root, regressorManifest('1', {
    input: { ...regressorManifest('1').input, scaling: { center: [2, 0, 0], scale: [0.5, 1, 1] } } as never,
  }), mlRegressor());
  const m = await loadModel(dir);
  t.teardown(() => m.release());
  const [out] = await m.runRows([[11, 0, 5]]);
  t.equal(out!.rul, expectedRul(18, 0, 5));
});

t.test('LinearClassifier with string labels: a class is chosen by label, the label output maps to its index', async (t) => {
  const root = tmp(t);
  const dir = writeModelDir(root, {
    name: 'linear', version: '1', assets: { glob: '*' }, input: { name: 'float_input', message: ['x', 'y'] },
    outputs: [
      { name: 'p_fault', kind: 'probability', onnxOutput: 'output_probability', class: 'fault' },
      { name: 'p_wear', kind: 'probability', onnxOutput: 'output_probability', class: 'wear' },
      { name: 'label', kind: 'label', onnxOutput: 'output_label' },
    ],
  }, linearClassifier());
  const m = await loadModel(dir);
  t.teardown(() => m.release());
  const x: [number, number] = [2, 1.5];
  const [out] = await m.runRows([x]);
  const expected = expectedLinear(x);
  t.ok(Math.abs(out!.p_fault! - expected[2]!) < 1e-5);
  t.ok(Math.abs(out!.p_wear! - expected[1]!) < 1e-5);
  t.equal(out!.label, expected.indexOf(Math.max(...expected)), `label index into ${LINEAR.labels.join(',')}`);
});

t.test('a manifest that does not fit its model is refused with a clear message', async (t) => {
  const root = tmp(t);
  await refused(t, writeModelDir(root, regressorManifest('1', { input: { name: 'features', features: REGRESSOR_FEATURES } as never }),
    mlRegressor(), { name: 'a', version: '1' }), /input 'features' not in the graph \(inputs: X\)/);
  await refused(t, writeModelDir(root, regressorManifest('1', { input: { name: 'X', features: REGRESSOR_FEATURES.slice(0, 2) } as never }),
    mlRegressor(), { name: 'b', version: '1' }), /takes 3 features but the manifest gives 2/);
  await refused(t, writeModelDir(root, regressorManifest('1', { outputs: [{ name: 'rul', kind: 'rul', onnxOutput: 'predictions' }] }),
    mlRegressor(), { name: 'c', version: '1' }), /output 'predictions' \(rul\) not in the graph \(outputs: variable\)/);
  await refused(t, writeModelDir(root, regressorManifest('1', { outputs: [{ name: 'rul', kind: 'rul', onnxOutput: 'variable', column: 3 }] }),
    mlRegressor(), { name: 'd', version: '1' }), /column 3 but 'variable' has 1/);
  await refused(t, writeModelDir(root, classifierManifest('1', { outputs: [{ name: 'p', kind: 'probability', onnxOutput: 'output_probability', class: 7 }], thresholds: [] }),
    sklTreeClassifier(), { name: 'e', version: '1' }), /class 7 not among the classifier labels \[0, 1\]/);
  await refused(t, writeModelDir(root, { ...regressorManifest('1'), thresholds: [{ output: 'nope', when: 'above', value: 1, severity: 'x' }] },
    mlRegressor(), { name: 'f', version: '1' }), /thresholds\.0\.output: no output named nope/);
  // dynamic feature axis: only the test run can tell the count is wrong
  await refused(t, writeModelDir(root, regressorManifest('1', { input: { name: 'X', features: REGRESSOR_FEATURES.slice(0, 2) } as never }),
    dynamicWidth(), { name: 'g', version: '1' }), /test run with 2 features failed/);
  const broken = writeModelDir(root, regressorManifest('1'), mlRegressor(), { name: 'h', version: '1' });
  writeFileSync(join(broken, 'model.onnx'), Buffer.from('not a model'));
  await refused(t, broken, /model\.onnx|onnxruntime cannot load/);
  const badJson = writeModelDir(root, regressorManifest('1'), mlRegressor(), { name: 'i', version: '1' });
  writeFileSync(join(badJson, 'manifest.json'), '{');
  await refused(t, badJson, /manifest\.json is not valid JSON/);
});

/** The fixture regressor with a symbolic feature axis: only a test run can tell the manifest's count is wrong. */
function dynamicWidth(): Uint8Array {
  return buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    graph: {
      name: 'dyn', inputs: [{ name: 'X', type: tensorType(DataType.FLOAT, ['N', 'F']) }],
      outputs: [{ name: 'variable', type: tensorType(DataType.FLOAT, ['N', 1]) }],
      nodes: [
        { op: 'Scaler', domain: ML_DOMAIN, inputs: ['X'], outputs: ['s'], attrs: { offset: attr.floats(REGRESSOR.offset), scale: attr.floats(REGRESSOR.scale) } },
        { op: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['s'], outputs: ['variable'], attrs: regressorAttrs([REGRESSOR_TREE], REGRESSOR.base) },
      ],
    },
  });
}

t.test('a model.onnx over scoring.maxModelBytes is refused from its size, without being read', async (t) => {
  const root = tmp(t);
  const dir = writeModelDir(root, regressorManifest('1'), mlRegressor());
  truncateSync(join(dir, 'model.onnx'), 1_500_000_000); // sparse: 1.5 GB on paper, nothing on disk
  const started = Date.now();
  await refused(t, dir, /model\.onnx is 1500000000 bytes, more than scoring\.maxModelBytes \(67108864\)/);
  t.ok(Date.now() - started < 2_000, 'refused at once');
  const small = writeModelDir(root, regressorManifest('2'), mlRegressor());
  try {
    await loadModel(small, { maxBytes: 100 });
    t.fail('a limit below the file size refuses it');
  } catch (err) {
    t.match((err as Error).message, /more than scoring\.maxModelBytes \(100\)/);
  }
});

t.test('declared output shapes are checked against the batch before the first run', async (t) => {
  const root = tmp(t);
  // ReduceSum to [N, 1], then Expand to [N, 100000]: 400 KB per row, which a graph could as well make 8 GB.
  const wide = buildModel({
    opsets: { '': 17 },
    graph: {
      name: 'wide',
      inputs: [{ name: 'X', type: tensorType(DataType.FLOAT, ['N', 3]) }],
      outputs: [{ name: 'variable', type: tensorType(DataType.FLOAT, ['N', 100_000]) }],
      initializers: [
        { name: 'axes', dataType: DataType.INT64, dims: [1], int64s: [1] },
        { name: 'shape', dataType: DataType.INT64, dims: [2], int64s: [1, 100_000] },
      ],
      nodes: [
        { op: 'ReduceSum', inputs: ['X', 'axes'], outputs: ['sum'], attrs: { keepdims: attr.int(1) } },
        { op: 'Expand', inputs: ['sum', 'shape'], outputs: ['variable'] },
      ],
    },
  });
  await refused(t, writeModelDir(root, regressorManifest('1'), wide), /output 'variable' declares 100000 values per row; at most 4096/);
});

import t from 'tap';
import * as ort from 'onnxruntime-node';
import { attr, buildModel, DataType, ML_DOMAIN, tensorType } from '../../models/onnx/graph-builder.js';
import { loadOnnxTypes } from '../../shared/ml/onnx-proto.js';
import { binaryClassifierAttrs, predictTrees, regressorAttrs, type TreeNode } from '../../models/onnx/tree-ensemble.js';

const tree: TreeNode = { leaf: false, feature: 1, threshold: 0.5,
  left: { leaf: true, value: -1 }, right: { leaf: false, feature: 0, threshold: 2, left: { leaf: true, value: 2 }, right: { leaf: true, value: 4 } } };

const X = [[0, 0], [0, 1], [3, 1], [2, 0.5], [2, 0.50001]];

async function run(bytes: Uint8Array, input: string, rows: number[][], fetches?: string[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { [input]: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]) };
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

t.test('the encoded ModelProto decodes back to what was described', async (t) => {
  const bytes = buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    metadata: { purpose: 'test' },
    graph: {
      name: 'g',
      inputs: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      outputs: [{ name: 'y', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [2], floats: [1.5, -2] }],
      nodes: [{ op: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
    },
  });
  const { ModelProto } = loadOnnxTypes();
  const decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as Record<string, any>;
  t.equal(decoded.ir_version, 8);
  t.same(decoded.opset_import.map((o: { domain?: string; version: number }) => [o.domain ?? '', o.version]), [['', 17], [ML_DOMAIN, 3]]);
  t.equal(decoded.graph.node[0].op_type, 'Mul');
  t.same(decoded.graph.input[0].type.tensor_type.shape.dim, [{ dim_param: 'N' }, { dim_value: 2 }]);
  t.same(decoded.metadata_props, [{ key: 'purpose', value: 'test' }]);
  const out = await run(bytes, 'x', [[2, 3]]);
  t.same(Array.from(out.y!.data as Float32Array), [3, -6], 'onnxruntime runs it');
});

t.test('TreeEnsembleRegressor matches the trees evaluated in TypeScript', async (t) => {
  const bytes = buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    graph: {
      name: 'r',
      inputs: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      outputs: [{ name: 'y', type: tensorType(DataType.FLOAT, ['N', 1]) }],
      nodes: [{ op: 'TreeEnsembleRegressor', domain: ML_DOMAIN, inputs: ['x'], outputs: ['y'], attrs: regressorAttrs([tree, tree], 10) }],
    },
  });
  const out = await run(bytes, 'x', X);
  const got = Array.from(out.y!.data as Float32Array);
  t.same(got, [8, 14, 18, 8, 14], 'hand-computed: base 10 + 2 × leaf');
  t.same(got, X.map((x) => predictTrees([tree, tree], 10, x)));
});

t.test('binary TreeEnsembleClassifier gives [1 - p, p] with p = sigmoid(base + leaves)', async (t) => {
  const bytes = buildModel({
    opsets: { '': 17, [ML_DOMAIN]: 3 },
    graph: {
      name: 'c',
      inputs: [{ name: 'x', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      outputs: [{ name: 'label', type: tensorType(DataType.INT64, ['N']) }, { name: 'p', type: tensorType(DataType.FLOAT, ['N', 2]) }],
      nodes: [{ op: 'TreeEnsembleClassifier', domain: ML_DOMAIN, inputs: ['x'], outputs: ['label', 'p'],
        attrs: binaryClassifierAttrs([tree], -0.5) }],
    },
  });
  const out = await run(bytes, 'x', X);
  const p = out.p!.data as Float32Array;
  X.forEach((x, i) => {
    const expected = 1 / (1 + Math.exp(-predictTrees([tree], -0.5, x)));
    t.ok(Math.abs(p[2 * i + 1]! - expected) < 1e-6, `row ${i} p1`);
    t.ok(Math.abs(p[2 * i]! - (1 - expected)) < 1e-6, `row ${i} p0`);
    t.equal(Number((out.label!.data as BigInt64Array)[i]), expected > 0.5 ? 1 : 0, `row ${i} label`);
  });
});

t.test('attribute kinds encode as their ONNX types', async (t) => {
  const bytes = buildModel({
    opsets: { '': 17 },
    graph: {
      name: 'a', inputs: [{ name: 'x', type: tensorType(DataType.FLOAT, [2]) }], outputs: [{ name: 'y', type: tensorType(DataType.FLOAT, [2]) }],
      nodes: [{ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: attr.float(0.5) } }],
    },
  });
  const s = await ort.InferenceSession.create(bytes);
  const y = await s.run({ x: new ort.Tensor('float32', Float32Array.from([-2, 2]), [2]) });
  t.same(Array.from(y.y!.data as Float32Array), [-1, 2]);
  await s.release();
  t.throws(() => buildModel({ opsets: { '': 17 }, graph: { name: 'bad', inputs: [], outputs: [], nodes: [],
    initializers: [{ name: 'w', dataType: DataType.FLOAT, dims: [3], floats: [1] }] } }), /1 values for dims \[3\]/);
});

/**
 * Turns binary decision trees into the flat node arrays of ai.onnx.ml TreeEnsembleRegressor /
 * TreeEnsembleClassifier (opset 3). Splits use BRANCH_LEQ like scikit-learn: go left (true branch) when
 * x <= threshold. Thresholds are float32 because ONNX compares float features against float thresholds.
 */
import { attr, type AttrValue } from './graph-builder.js';

export type TreeNode =
  | { leaf: true; value: number }
  | { leaf: false; feature: number; threshold: number; left: TreeNode; right: TreeNode; missingLeft?: boolean };

interface Flat {
  treeIds: number[]; nodeIds: number[]; featureIds: number[]; modes: string[]; values: number[];
  trueIds: number[]; falseIds: number[]; missingTrue: number[];
  leafTree: number[]; leafNode: number[]; leafWeight: number[];
}

function flatten(trees: readonly TreeNode[]): Flat {
  const f: Flat = { treeIds: [], nodeIds: [], featureIds: [], modes: [], values: [], trueIds: [], falseIds: [],
    missingTrue: [], leafTree: [], leafNode: [], leafWeight: [] };
  trees.forEach((root, treeId) => {
    let next = 0;
    const visit = (node: TreeNode): number => {
      const id = next++;
      const at = f.nodeIds.length;
      f.treeIds.push(treeId); f.nodeIds.push(id);
      if (node.leaf) {
        f.featureIds.push(0); f.modes.push('LEAF'); f.values.push(0); f.trueIds.push(0); f.falseIds.push(0);
        f.missingTrue.push(0);
        f.leafTree.push(treeId); f.leafNode.push(id); f.leafWeight.push(node.value);
        return id;
      }
      f.featureIds.push(node.feature); f.modes.push('BRANCH_LEQ'); f.values.push(node.threshold);
      f.trueIds.push(0); f.falseIds.push(0); f.missingTrue.push(node.missingLeft ? 1 : 0);
      const l = visit(node.left);
      const r = visit(node.right);
      f.trueIds[at] = l; f.falseIds[at] = r;
      return id;
    };
    visit(root);
  });
  return f;
}

function nodeAttrs(f: Flat): Record<string, AttrValue> {
  return {
    nodes_treeids: attr.ints(f.treeIds),
    nodes_nodeids: attr.ints(f.nodeIds),
    nodes_featureids: attr.ints(f.featureIds),
    nodes_modes: attr.strings(f.modes),
    nodes_values: attr.floats(f.values),
    nodes_truenodeids: attr.ints(f.trueIds),
    nodes_falsenodeids: attr.ints(f.falseIds),
    nodes_missing_value_tracks_true: attr.ints(f.missingTrue),
  };
}

/** Attributes for a single-target TreeEnsembleRegressor summing all trees plus `base`. */
export function regressorAttrs(trees: readonly TreeNode[], base: number): Record<string, AttrValue> {
  const f = flatten(trees);
  return {
    ...nodeAttrs(f),
    n_targets: attr.int(1),
    aggregate_function: attr.string('SUM'),
    post_transform: attr.string('NONE'),
    base_values: attr.floats([base]),
    target_treeids: attr.ints(f.leafTree),
    target_nodeids: attr.ints(f.leafNode),
    target_ids: attr.ints(f.leafTree.map(() => 0)),
    target_weights: attr.floats(f.leafWeight),
  };
}

/**
 * Attributes for a binary TreeEnsembleClassifier the way skl2onnx writes a gradient-boosting classifier:
 * one score column (class_ids all 0), one base value, LOGISTIC post-transform. ONNX Runtime's binary case
 * then outputs [1 - p, p] with p = sigmoid(base + sum of leaves) (checked against onnxruntime-node 1.30).
 */
export function binaryClassifierAttrs(trees: readonly TreeNode[], base: number, labels: [number, number] = [0, 1]):
Record<string, AttrValue> {
  const f = flatten(trees);
  return {
    ...nodeAttrs(f),
    classlabels_int64s: attr.ints(labels),
    post_transform: attr.string('LOGISTIC'),
    base_values: attr.floats([base]),
    class_treeids: attr.ints(f.leafTree),
    class_nodeids: attr.ints(f.leafNode),
    class_ids: attr.ints(f.leafTree.map(() => 0)),
    class_weights: attr.floats(f.leafWeight),
  };
}

/** Evaluates trees the way ONNX Runtime does (float32 feature vs float32 threshold, <= goes to the true branch). */
export function predictTrees(trees: readonly TreeNode[], base: number, x: ArrayLike<number>): number {
  let sum = base;
  for (const root of trees) {
    let node = root;
    while (!node.leaf) {
      const v = Math.fround(x[node.feature] ?? NaN);
      node = Number.isNaN(v) ? (node.missingLeft ? node.left : node.right) : v <= Math.fround(node.threshold) ? node.left : node.right;
    }
    sum += node.value;
  }
  return sum;
}

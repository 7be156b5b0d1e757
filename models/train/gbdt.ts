/**
 * Histogram gradient-boosted decision trees (the LightGBM / scikit-learn HistGradientBoosting recipe), written
 * small and deterministic: no sampling, ties broken by the first feature and bin, so a fixed input gives the
 * same trees on every machine. Losses: squared error (regression) and binary log-loss (classification).
 *
 * Features are binned once into at most `maxBins` quantile bins; a split "bin <= b" is the same as
 * "x <= threshold[b]" with float32 thresholds, which is what ONNX tree ensembles evaluate.
 */
import type { TreeNode } from '../onnx/tree-ensemble.js';

export interface GbdtOptions {
  loss: 'squared' | 'logistic';
  rounds: number;
  learningRate: number;
  maxLeaves: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
}

export interface GbdtModel {
  trees: TreeNode[];
  base: number;
}

interface Binned {
  bins: Uint8Array; // column-major: bins[f * n + r]
  edges: Float32Array[]; // per feature: x <= edges[b] ⇔ bin <= b
}

function binFeatures(X: readonly ArrayLike<number>[], d: number, maxBins: number): Binned {
  const n = X.length;
  const bins = new Uint8Array(n * d);
  const edges: Float32Array[] = [];
  const col = new Float32Array(n);
  for (let f = 0; f < d; f++) {
    for (let r = 0; r < n; r++) col[r] = X[r]![f]!;
    const sorted = Float32Array.from(col).sort();
    const uniques: number[] = [];
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniques.push(sorted[i]!);
    const cuts: number[] = [];
    if (uniques.length <= maxBins) {
      for (let i = 0; i + 1 < uniques.length; i++) cuts.push(Math.fround((uniques[i]! + uniques[i + 1]!) / 2));
    } else {
      // quantile cut points, each between a value and the next distinct one
      for (let k = 1; k < maxBins; k++) {
        const v = sorted[Math.floor((k * n) / maxBins)]!;
        let lo = 0;
        let hi = uniques.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (uniques[mid]! < v) lo = mid + 1; else hi = mid;
        }
        const next = uniques[lo + 1];
        if (next === undefined) continue;
        const cut = Math.fround((uniques[lo]! + next) / 2);
        if (cuts.length === 0 || cut > cuts[cuts.length - 1]!) cuts.push(cut);
      }
    }
    const e = Float32Array.from(cuts);
    edges.push(e);
    for (let r = 0; r < n; r++) {
      const x = col[r]!;
      let lo = 0;
      let hi = e.length; // first edge with x <= edge
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x <= e[mid]!) hi = mid; else lo = mid + 1;
      }
      bins[f * n + r] = lo;
    }
  }
  return { bins, edges };
}

interface Split { gain: number; feature: number; bin: number }
interface Leaf {
  rows: Uint32Array;
  G: number;
  H: number;
  depth: number;
  hg: Float64Array;
  hh: Float64Array;
  hc: Uint32Array;
  split: Split | null;
  node: TreeNode; // replaced in place by its parent when split
  setNode: (n: TreeNode) => void;
}

export function trainGbdt(
  X: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  opts: GbdtOptions,
  onRound?: (round: number) => void,
): GbdtModel {
  const n = X.length;
  const d = X[0]?.length ?? 0;
  if (n === 0 || d === 0) throw new Error('gbdt: empty training set');
  if (opts.maxBins > 256) throw new Error('gbdt: maxBins must be <= 256');
  const { bins, edges } = binFeatures(X, d, opts.maxBins);
  const B = opts.maxBins;
  const λ = opts.l2;
  const minHess = 1e-3;

  let base: number;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  if (opts.loss === 'squared') base = mean;
  else base = Math.log(Math.max(mean, 1e-12) / Math.max(1 - mean, 1e-12));

  const F = new Float64Array(n).fill(Math.fround(base));
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: TreeNode[] = [];

  const histogram = (rows: Uint32Array) => {
    const hg = new Float64Array(d * B);
    const hh = new Float64Array(d * B);
    const hc = new Uint32Array(d * B);
    for (let f = 0; f < d; f++) {
      const off = f * B;
      const colOff = f * n;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        const b = off + bins[colOff + r]!;
        hg[b]! += grad[r]!;
        hh[b]! += hess[r]!;
        hc[b]!++;
      }
    }
    return { hg, hh, hc };
  };

  const bestSplit = (leaf: Omit<Leaf, 'split' | 'node' | 'setNode'>): Split | null => {
    if (leaf.depth >= opts.maxDepth || leaf.rows.length < 2 * opts.minSamplesLeaf) return null;
    const parentScore = (leaf.G * leaf.G) / (leaf.H + λ);
    let best: Split | null = null;
    for (let f = 0; f < d; f++) {
      const nb = edges[f]!.length + 1;
      const off = f * B;
      let GL = 0;
      let HL = 0;
      let nL = 0;
      for (let b = 0; b < nb - 1; b++) {
        GL += leaf.hg[off + b]!;
        HL += leaf.hh[off + b]!;
        nL += leaf.hc[off + b]!;
        if (nL < opts.minSamplesLeaf) continue;
        const nR = leaf.rows.length - nL;
        if (nR < opts.minSamplesLeaf) break;
        const HR = leaf.H - HL;
        if (HL < minHess || HR < minHess) continue;
        const GR = leaf.G - GL;
        const gain = (GL * GL) / (HL + λ) + (GR * GR) / (HR + λ) - parentScore;
        if (gain > 1e-9 && (best === null || gain > best.gain)) best = { gain, feature: f, bin: b };
      }
    }
    return best;
  };

  for (let round = 0; round < opts.rounds; round++) {
    if (opts.loss === 'squared') {
      for (let i = 0; i < n; i++) {
        grad[i] = F[i]! - y[i]!;
        hess[i] = 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-F[i]!));
        grad[i] = p - y[i]!;
        hess[i] = Math.max(p * (1 - p), 1e-16);
      }
    }
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) {
      G += grad[i]!;
      H += hess[i]!;
    }
    let root: TreeNode = { leaf: true, value: 0 };
    const rootLeaf: Leaf = {
      rows: all, G, H, depth: 0, ...histogram(all), split: null, node: root,
      setNode: (t) => { root = t; },
    };
    rootLeaf.split = bestSplit(rootLeaf);
    const leaves: Leaf[] = [rootLeaf];
    while (leaves.length < opts.maxLeaves) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]!.split;
        if (s && (pick < 0 || s.gain > leaves[pick]!.split!.gain)) pick = i;
      }
      if (pick < 0) break;
      const parent = leaves[pick]!;
      const { feature, bin } = parent.split!;
      const colOff = feature * n;
      let nl = 0;
      for (let i = 0; i < parent.rows.length; i++) if (bins[colOff + parent.rows[i]!]! <= bin) nl++;
      const lrows = new Uint32Array(nl);
      const rrows = new Uint32Array(parent.rows.length - nl);
      let li = 0;
      let ri = 0;
      let GL = 0;
      let HL = 0;
      for (let i = 0; i < parent.rows.length; i++) {
        const r = parent.rows[i]!;
        if (bins[colOff + r]! <= bin) {
          lrows[li++] = r;
          GL += grad[r]!;
          HL += hess[r]!;
        } else rrows[ri++] = r;
      }
      // histogram of the smaller child; the larger one is the parent minus it
      const leftSmaller = lrows.length <= rrows.length;
      const small = histogram(leftSmaller ? lrows : rrows);
      const large = { hg: parent.hg, hh: parent.hh, hc: parent.hc };
      for (let k = 0; k < large.hg.length; k++) {
        large.hg[k]! -= small.hg[k]!;
        large.hh[k]! -= small.hh[k]!;
        large.hc[k]! -= small.hc[k]!;
      }
      const lh = leftSmaller ? small : large;
      const rh = leftSmaller ? large : small;
      const split: TreeNode = {
        leaf: false, feature, threshold: edges[feature]![bin]!,
        left: { leaf: true, value: 0 }, right: { leaf: true, value: 0 },
      };
      parent.setNode(split);
      const left: Leaf = {
        rows: lrows, G: GL, H: HL, depth: parent.depth + 1, ...lh, split: null, node: split.left,
        setNode: (t) => { split.left = t; },
      };
      const right: Leaf = {
        rows: rrows, G: parent.G - GL, H: parent.H - HL, depth: parent.depth + 1, ...rh, split: null,
        node: split.right, setNode: (t) => { split.right = t; },
      };
      left.split = bestSplit(left);
      right.split = bestSplit(right);
      leaves.splice(pick, 1, left, right);
    }
    for (const leaf of leaves) {
      const value = (-leaf.G / (leaf.H + λ)) * opts.learningRate;
      const node: TreeNode = { leaf: true, value: Math.fround(value) };
      leaf.setNode(node);
      for (let i = 0; i < leaf.rows.length; i++) F[leaf.rows[i]!]! += node.leaf ? node.value : 0;
    }
    trees.push(root);
    onRound?.(round + 1);
  }
  return { trees, base: Math.fround(base) };
}

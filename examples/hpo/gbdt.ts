// Gradient-boosted decision trees for binary classification (logistic loss), written for speed over generality:
// features are quantile-binned once, so split search is a histogram pass per node rather than a sort.
// Each tree is a regression tree on the loss gradients with second-order (Newton) leaf values and L2 shrinkage,
// the same objective XGBoost/LightGBM use, so their hyperparameters behave familiarly.

import type { Dataset } from "./dataset.js";
import { mixSeed, mulberry32 } from "./random.js";

export interface GbdtParams {
  /** Shrinkage applied to each tree's output. */
  learningRate: number;
  /** Maximum tree depth (1 = stumps). */
  maxDepth: number;
  /** Number of boosting rounds. */
  nEstimators: number;
  /** Fraction of training rows sampled (without replacement) for each tree. */
  subsample: number;
  /** Minimum number of training rows in each leaf. */
  minSamplesLeaf: number;
  /** L2 penalty on leaf values. */
  lambda: number;
}

export interface GbdtModel {
  /** Probability of the positive class. */
  predict(features: number[]): number;
}

// 64 quantile bins lose almost nothing in accuracy and keep bins in a byte.
const MAX_BINS = 64;
// Caps one tree's Newton step in log-odds: nearly pure leaves with tiny hessians would otherwise explode when lambda is ~0.
const MAX_STEP = 4;
const MIN_GAIN = 1e-12;

interface Tree {
  feature: number[]; // -1 for a leaf
  bin: number[]; // rows with bin <= this go left (training-time traversal)
  threshold: number[]; // values <= this go left (prediction on raw features)
  left: number[];
  right: number[];
  value: number[];
}

export function trainGbdt(train: Dataset, params: GbdtParams, seed: number): GbdtModel {
  validateParams(params);
  const n = train.labels.length;
  if (n === 0) throw new Error("trainGbdt: empty training set");
  const nFeatures = train.featureNames.length;
  for (const row of train.features) {
    if (row.length !== nFeatures) throw new Error(`trainGbdt: row has ${row.length} features, expected ${nFeatures}`);
  }
  const maxDepth = Math.round(params.maxDepth);
  const nEstimators = Math.round(params.nEstimators);
  const minLeaf = Math.max(1, Math.round(params.minSamplesLeaf));

  const edges: number[][] = [];
  const binned: Uint8Array[] = [];
  for (let f = 0; f < nFeatures; f++) {
    const column = train.features.map((row) => row[f]!);
    const e = quantileEdges(column);
    edges.push(e);
    binned.push(Uint8Array.from(column, (x) => binOf(e, x)));
  }

  const y = Float64Array.from(train.labels, (label) => (label === 1 ? 1 : 0));
  const positives = y.reduce((s, v) => s + v, 0);
  // Start from the prior log-odds (smoothed so one-class data stays finite).
  const base = Math.log((positives + 0.5) / (n - positives + 0.5));
  const score = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const rand = mulberry32(mixSeed(seed, 0x6bd7));
  const allRows = Int32Array.from({ length: n }, (_, i) => i);
  const sampleSize = Math.max(1, Math.min(n, Math.round(params.subsample * n)));
  const hist = new Histograms(nFeatures);
  const trees: Tree[] = [];

  for (let t = 0; t < nEstimators; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(score[i]!);
      grad[i] = p - y[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-16);
    }
    const rows = sampleSize === n ? allRows : sampleRows(allRows, sampleSize, rand);
    const tree = buildTree(rows, { binned, edges, grad, hess, hist, maxDepth, minLeaf, lambda: params.lambda });
    for (const leaf of tree.value.keys()) tree.value[leaf] = tree.value[leaf]! * params.learningRate;
    trees.push(tree);
    // Training scores are advanced via bins: same routing as thresholds, without touching raw values.
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (tree.feature[node]! >= 0) {
        node = binned[tree.feature[node]!]![i]! <= tree.bin[node]! ? tree.left[node]! : tree.right[node]!;
      }
      score[i] = score[i]! + tree.value[node]!;
    }
  }

  return {
    predict(features: number[]): number {
      let s = base;
      for (const tree of trees) {
        let node = 0;
        while (tree.feature[node]! >= 0) {
          // A missing or NaN feature fails the comparison and goes right.
          node = (features[tree.feature[node]!] ?? NaN) <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
        }
        s += tree.value[node]!;
      }
      return sigmoid(s);
    },
  };
}

function validateParams(p: GbdtParams): void {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`trainGbdt: ${what}, got ${JSON.stringify(p)}`);
  };
  check(p.learningRate > 0 && Number.isFinite(p.learningRate), "learningRate must be positive");
  check(p.maxDepth >= 1 && Number.isFinite(p.maxDepth), "maxDepth must be >= 1");
  check(p.nEstimators >= 1 && Number.isFinite(p.nEstimators), "nEstimators must be >= 1");
  check(p.subsample > 0 && p.subsample <= 1, "subsample must be in (0, 1]");
  check(p.minSamplesLeaf >= 1 && Number.isFinite(p.minSamplesLeaf), "minSamplesLeaf must be >= 1");
  check(p.lambda >= 0 && Number.isFinite(p.lambda), "lambda must be >= 0");
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Cut points between distinct values near each quantile; value x goes to bin = number of edges below x.
 * Midpoints (rather than the data values themselves) make thresholds fair to unseen values between two training values.
 */
function quantileEdges(column: number[]): number[] {
  const sorted = Float64Array.from(column).sort();
  const m = sorted.length;
  const edges: number[] = [];
  for (let k = 1; k < MAX_BINS; k++) {
    const v = sorted[Math.floor((k * m) / MAX_BINS)]!;
    // First value strictly greater than v (upper bound), so heavy ties collapse into one bin.
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= m) break;
    const edge = (v + sorted[lo]!) / 2;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

function binOf(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Partial Fisher-Yates: a uniform sample of `size` distinct rows. */
function sampleRows(all: Int32Array, size: number, rand: () => number): Int32Array {
  const pool = all.slice();
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  return pool.subarray(0, size);
}

/** Reused gradient/hessian/count histograms for one node, all features side by side. */
class Histograms {
  readonly g: Float64Array;
  readonly h: Float64Array;
  readonly c: Int32Array;
  constructor(nFeatures: number) {
    this.g = new Float64Array(nFeatures * MAX_BINS);
    this.h = new Float64Array(nFeatures * MAX_BINS);
    this.c = new Int32Array(nFeatures * MAX_BINS);
  }
}

interface BuildContext {
  binned: Uint8Array[];
  edges: number[][];
  grad: Float64Array;
  hess: Float64Array;
  hist: Histograms;
  maxDepth: number;
  minLeaf: number;
  lambda: number;
}

function buildTree(rows: Int32Array, ctx: BuildContext): Tree {
  const tree: Tree = { feature: [], bin: [], threshold: [], left: [], right: [], value: [] };
  const newNode = (): number => {
    tree.feature.push(-1);
    tree.bin.push(0);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    return tree.feature.length - 1;
  };
  const stack: { node: number; rows: Int32Array; depth: number }[] = [{ node: newNode(), rows, depth: 0 }];
  const { grad, hess, lambda } = ctx;
  while (stack.length > 0) {
    const { node, rows: nodeRows, depth } = stack.pop()!;
    let G = 0;
    let H = 0;
    for (const r of nodeRows) {
      G += grad[r]!;
      H += hess[r]!;
    }
    const split = depth < ctx.maxDepth && nodeRows.length >= 2 * ctx.minLeaf ? bestSplit(nodeRows, G, H, ctx) : undefined;
    if (split === undefined) {
      const step = -G / (H + lambda);
      tree.value[node] = Math.max(-MAX_STEP, Math.min(MAX_STEP, step));
      continue;
    }
    const column = ctx.binned[split.feature]!;
    const leftRows = new Int32Array(split.leftCount);
    const rightRows = new Int32Array(nodeRows.length - split.leftCount);
    let li = 0;
    let ri = 0;
    for (const r of nodeRows) {
      if (column[r]! <= split.bin) leftRows[li++] = r;
      else rightRows[ri++] = r;
    }
    tree.feature[node] = split.feature;
    tree.bin[node] = split.bin;
    tree.threshold[node] = ctx.edges[split.feature]![split.bin]!;
    const left = newNode();
    const right = newNode();
    tree.left[node] = left;
    tree.right[node] = right;
    stack.push({ node: left, rows: leftRows, depth: depth + 1 }, { node: right, rows: rightRows, depth: depth + 1 });
  }
  return tree;
}

function bestSplit(
  rows: Int32Array,
  G: number,
  H: number,
  ctx: BuildContext,
): { feature: number; bin: number; leftCount: number } | undefined {
  const { binned, edges, grad, hess, hist, minLeaf, lambda } = ctx;
  const parentScore = (G * G) / (H + lambda);
  let bestGain = MIN_GAIN;
  let best: { feature: number; bin: number; leftCount: number } | undefined;
  for (let f = 0; f < binned.length; f++) {
    const nBins = edges[f]!.length + 1;
    if (nBins < 2) continue;
    const offset = f * MAX_BINS;
    hist.g.fill(0, offset, offset + nBins);
    hist.h.fill(0, offset, offset + nBins);
    hist.c.fill(0, offset, offset + nBins);
    const column = binned[f]!;
    for (const r of rows) {
      const b = offset + column[r]!;
      hist.g[b]! += grad[r]!;
      hist.h[b]! += hess[r]!;
      hist.c[b]! += 1;
    }
    let gl = 0;
    let hl = 0;
    let cl = 0;
    // The last bin cannot be a left side: the right child would be empty.
    for (let b = 0; b < nBins - 1; b++) {
      gl += hist.g[offset + b]!;
      hl += hist.h[offset + b]!;
      cl += hist.c[offset + b]!;
      if (cl < minLeaf) continue;
      if (rows.length - cl < minLeaf) break;
      const gr = G - gl;
      const hr = H - hl;
      const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature: f, bin: b, leftCount: cl };
      }
    }
  }
  return best;
}

/**
 * ROC AUC as the Mann-Whitney statistic: the probability a random positive outscores a random negative,
 * ties counting one half (via average ranks). A constant scorer gives 0.5; NaN if either class is absent.
 */
export function auc(scores: number[], labels: number[]): number {
  if (scores.length !== labels.length) {
    throw new Error(`auc: ${scores.length} scores but ${labels.length} labels`);
  }
  for (const s of scores) if (Number.isNaN(s)) throw new Error("auc: NaN score");
  // Explicit comparison rather than subtraction: Infinity - Infinity would be NaN.
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a]! < scores[b]! ? -1 : scores[a]! > scores[b]! ? 1 : 0));
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    // Ranks i+1 .. j+1 are tied; each gets their average.
    const averageRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

// A small batch Bayesian optimiser: Gaussian-process surrogate (Matérn 5/2) on the unit cube, expected improvement
// maximised over random and local candidates, batches by the kriging believer heuristic.
// Sized for tens of observations in a handful of dimensions: everything is dense O(n^3) and that is fine here.

import { gaussian, mixSeed, mulberry32 } from "./random.js";

export interface Dimension {
  name: string;
  low: number;
  high: number;
  /** Search uniformly in log(value); needs low > 0. */
  log?: boolean;
  /** Values are rounded to integers when returned. */
  integer?: boolean;
}

export type Point = Record<string, number>;

// ---------------------------------------------------------------------------------------------------------------------
// Linear algebra

/**
 * Lower-triangular L with L L^T = A for a symmetric positive-definite A.
 * Kernel matrices are often numerically semi-definite (near-duplicate points), so when a pivot fails we add
 * growing jitter to the diagonal rather than give up.
 */
export function cholesky(a: number[][], jitter = 1e-10): number[][] {
  const n = a.length;
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += a[i]![i]! / Math.max(1, n);
  const scale = meanDiag > 0 ? meanDiag : 1;
  // Jitter grows tenfold per retry but stays below 1e-3 of the diagonal, so a truly indefinite matrix still fails.
  for (let extra = 0; extra <= 1e-3 * scale; extra = extra === 0 ? jitter * scale : extra * 10) {
    const l = tryCholesky(a, extra);
    if (l !== undefined) return l;
    if (!(jitter > 0)) break;
  }
  throw new Error("cholesky: matrix is not positive definite");
}

function tryCholesky(a: number[][], extra: number): number[][] | undefined {
  const n = a.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    const lj = l[j]!;
    let d = a[j]![j]! + extra;
    for (let k = 0; k < j; k++) d -= lj[k]! * lj[k]!;
    if (!(d > 0)) return undefined;
    const ljj = Math.sqrt(d);
    lj[j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const li = l[i]!;
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= li[k]! * lj[k]!;
      li[j] = s / ljj;
    }
  }
  return l;
}

/** Solves L x = b by forward substitution. */
export function solveLower(l: number[][], b: number[]): number[] {
  const x = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) {
    const li = l[i]!;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= li[k]! * x[k]!;
    x[i] = s / li[i]!;
  }
  return x;
}

/** Solves L^T x = b by back substitution. */
export function solveUpper(l: number[][], b: number[]): number[] {
  const n = b.length;
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/** Solves A x = b given A's Cholesky factor. */
export function choleskySolve(l: number[][], b: number[]): number[] {
  return solveUpper(l, solveLower(l, b));
}

// ---------------------------------------------------------------------------------------------------------------------
// Gaussian process

export interface GpHyper {
  /** One length-scale per input dimension (unit-cube units). */
  lengthScales: number[];
  /** Noise variance as a fraction of the signal variance. */
  noise: number;
  /** Signal variance; when omitted it takes its maximum-likelihood value given the other settings (closed form). */
  amplitude?: number;
}

export function matern52(a: number[], b: number[], lengthScales: number[]): number {
  let r2 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i]! - b[i]!) / lengthScales[i]!;
    r2 += d * d;
  }
  const s = Math.sqrt(5 * r2);
  return (1 + s + (5 * r2) / 3) * Math.exp(-s);
}

/** Zero-mean GP regression; callers standardise targets first. */
export class GaussianProcess {
  readonly hyper: Required<GpHyper>;
  readonly logMarginalLikelihood: number;
  private readonly x: number[][];
  private readonly l: number[][];
  private readonly alpha: number[];

  constructor(x: number[][], y: number[], hyper: GpHyper) {
    if (x.length !== y.length || x.length === 0) throw new Error("GaussianProcess: need matching, non-empty x and y");
    const n = x.length;
    const k = x.map((xi, i) =>
      x.map((xj, j) => (i === j ? 1 + hyper.noise : matern52(xi, xj, hyper.lengthScales))),
    );
    this.x = x.map((row) => [...row]);
    this.l = cholesky(k);
    this.alpha = choleskySolve(this.l, y);
    // With K = amplitude * R, the likelihood-maximising amplitude is y^T R^-1 y / n.
    const quad = y.reduce((s, yi, i) => s + yi * this.alpha[i]!, 0);
    const amplitude = hyper.amplitude ?? Math.max(quad / n, 1e-12);
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += 2 * Math.log(this.l[i]![i]!);
    this.logMarginalLikelihood =
      -0.5 * (quad / amplitude) - 0.5 * (logDet + n * Math.log(amplitude)) - 0.5 * n * Math.log(2 * Math.PI);
    this.hyper = { lengthScales: [...hyper.lengthScales], noise: hyper.noise, amplitude };
  }

  /** Posterior mean and variance of the latent function (without observation noise). */
  predict(point: number[]): { mean: number; variance: number } {
    const r = this.x.map((xi) => matern52(point, xi, this.hyper.lengthScales));
    const mean = r.reduce((s, ri, i) => s + ri * this.alpha[i]!, 0);
    const v = solveLower(this.l, r);
    const explained = v.reduce((s, vi) => s + vi * vi, 0);
    return { mean, variance: Math.max(0, this.hyper.amplitude * (1 - explained)) };
  }

  /**
   * Picks hyperparameters by maximising the log marginal likelihood over a small grid: first a shared length-scale and
   * noise level, then (only with enough data to tell dimensions apart) one coordinate sweep of per-dimension scales.
   */
  static fit(x: number[][], y: number[]): GaussianProcess {
    const dims = x[0]?.length ?? 0;
    let best: GaussianProcess | undefined;
    const consider = (hyper: GpHyper): void => {
      const gp = new GaussianProcess(x, y, hyper);
      if (best === undefined || gp.logMarginalLikelihood > best.logMarginalLikelihood) best = gp;
    };
    for (const ls of LENGTH_SCALE_GRID) {
      for (const noise of NOISE_GRID) consider({ lengthScales: new Array<number>(dims).fill(ls), noise });
    }
    if (x.length >= 4 * dims) {
      for (let d = 0; d < dims; d++) {
        const start = best!.hyper;
        for (const ls of LENGTH_SCALE_GRID) {
          const lengthScales = [...start.lengthScales];
          lengthScales[d] = ls;
          consider({ lengthScales, noise: start.noise });
        }
      }
    }
    return best!;
  }
}

const LENGTH_SCALE_GRID = [0.04, 0.07, 0.12, 0.2, 0.3, 0.45, 0.7, 1.1, 1.8, 3];
// Relative to the standardised signal: from (almost) noise-free to very noisy objectives.
const NOISE_GRID = [1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2];

// ---------------------------------------------------------------------------------------------------------------------
// Acquisition

/** Standard normal CDF via a rational-Chebyshev erfc approximation (relative error ~1e-7, also in the tails). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-z * z + poly);
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/** Expected improvement over `incumbent` (maximisation) for a Gaussian posterior, with exploration margin xi. */
export function expectedImprovement(mean: number, variance: number, incumbent: number, xi: number): number {
  const sd = Math.sqrt(variance);
  const gain = mean - incumbent - xi;
  if (sd < 1e-12) return Math.max(0, gain);
  const u = gain / sd;
  return gain * normalCdf(u) + sd * normalPdf(u);
}

// ---------------------------------------------------------------------------------------------------------------------
// Search space

/** Throws unless every dimension has a unique name and a finite, non-empty range that fits its kind. */
export function validateSpace(space: Dimension[]): void {
  if (space.length === 0) throw new Error("BayesOpt: empty search space");
  const names = new Set<string>();
  for (const d of space) {
    if (names.has(d.name)) throw new Error(`BayesOpt: duplicate dimension ${d.name}`);
    names.add(d.name);
    if (!(Number.isFinite(d.low) && Number.isFinite(d.high) && d.low < d.high)) {
      throw new Error(`BayesOpt: dimension ${d.name} needs finite low < high`);
    }
    if (d.log && d.low <= 0) throw new Error(`BayesOpt: log dimension ${d.name} needs low > 0`);
    if (d.integer && Math.ceil(d.low) > Math.floor(d.high)) {
      throw new Error(`BayesOpt: integer dimension ${d.name} contains no integer`);
    }
  }
}

function toUnit(space: Dimension[], point: Point): number[] {
  return space.map((d) => {
    const v = point[d.name];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`BayesOpt: point lacks a finite ${d.name}`);
    if (d.log) return (Math.log(v) - Math.log(d.low)) / (Math.log(d.high) - Math.log(d.low));
    return (v - d.low) / (d.high - d.low);
  });
}

function fromUnit(space: Dimension[], u: number[]): Point {
  const point: Point = {};
  space.forEach((d, i) => {
    const t = Math.min(1, Math.max(0, u[i] ?? 0));
    let v = d.log ? Math.exp(Math.log(d.low) + t * (Math.log(d.high) - Math.log(d.low))) : d.low + t * (d.high - d.low);
    // Rounding error in exp/log could step just outside the box.
    v = Math.min(d.high, Math.max(d.low, v));
    if (d.integer) v = Math.min(Math.floor(d.high), Math.max(Math.ceil(d.low), Math.round(v)));
    point[d.name] = v;
  });
  return point;
}

/** Copy holding exactly the space's dimensions, integers rounded: the canonical form stored and compared. */
function normalise(space: Dimension[], point: Point): Point {
  const out: Point = {};
  for (const d of space) {
    const v = point[d.name];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`BayesOpt: point lacks a finite ${d.name}`);
    out[d.name] = d.integer ? Math.round(v) : v;
  }
  return out;
}

function keyOf(space: Dimension[], point: Point): string {
  return JSON.stringify(space.map((d) => point[d.name]));
}

/** Uniform (log-uniform on log dimensions) random points: the baseline BayesOpt should beat. */
export function randomSearch(space: Dimension[], n: number, rand: () => number): Point[] {
  validateSpace(space);
  return Array.from({ length: n }, () => fromUnit(space, space.map(() => rand())));
}

/** Latin hypercube in the unit cube: each dimension's n strata are each hit once, so few points still spread out. */
function latinHypercube(n: number, dims: number, rand: () => number): number[][] {
  const columns = Array.from({ length: dims }, () => {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    return perm.map((stratum) => (stratum + rand()) / n);
  });
  return Array.from({ length: n }, (_, i) => columns.map((c) => c[i]!));
}

// ---------------------------------------------------------------------------------------------------------------------
// Optimiser

const RANDOM_CANDIDATES = 1500;
const LOCAL_CANDIDATES = 120; // per incumbent
const INCUMBENTS = 3;
const REFINE_TOP = 5;
const REFINE_CANDIDATES = 40; // per refined candidate

export class BayesOpt {
  private readonly space: Dimension[];
  private readonly seed: number;
  private readonly initialRandom: number;
  private readonly xi: number;
  private readonly registered: { point: Point; value: number }[] = [];
  // Suggested but not yet registered: later suggestions treat them as fantasies so they are not proposed twice.
  private readonly pending = new Map<string, Point>();

  constructor(space: Dimension[], options: { seed?: number; initialRandom?: number; xi?: number } = {}) {
    validateSpace(space);
    this.space = space.map((d) => ({ ...d }));
    this.seed = options.seed ?? 0;
    this.initialRandom = Math.max(1, options.initialRandom ?? 5);
    // In standardised units; small, since batches already add exploration.
    this.xi = options.xi ?? 0.01;
  }

  get observations(): ReadonlyArray<{ point: Point; value: number }> {
    return this.registered;
  }

  /**
   * Records an evaluation. Non-finite values (failed evaluations) are not recorded but still release the point from
   * the pending set.
   */
  register(point: Point, value: number): void {
    const normal = normalise(this.space, point);
    this.pending.delete(keyOf(this.space, normal));
    if (!Number.isFinite(value)) return;
    this.registered.push({ point: normal, value });
  }

  best(): { point: Point; value: number } | undefined {
    let best: { point: Point; value: number } | undefined;
    for (const o of this.registered) if (best === undefined || o.value > best.value) best = o;
    return best === undefined ? undefined : { point: { ...best.point }, value: best.value };
  }

  /**
   * n distinct points, also distinct from every registered and pending point (unless the space is too small to allow
   * it). The result depends only on the seed and the sets of registered and pending points, not on call history or
   * registration order, so an optimiser rebuilt from its observations suggests the same batch.
   */
  suggest(n: number): Point[] {
    if (!Number.isInteger(n) || n < 0) throw new Error(`BayesOpt.suggest: n must be a non-negative integer, got ${n}`);
    const observed = [...this.registered]
      .map((o) => ({ ...o, key: keyOf(this.space, o.point) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.value - b.value));
    const pending = [...this.pending.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
    const rand = mulberry32(mixSeed(this.seed, observed.length, pending.length, 0xb0));
    const taken = new Set<string>([...observed.map((o) => o.key), ...this.pending.keys()]);

    const batch =
      observed.length < this.initialRandom
        ? this.spaceFilling(n, rand, taken)
        : this.byExpectedImprovement(n, rand, taken, observed, pending);
    for (const p of batch) this.pending.set(keyOf(this.space, p), p);
    return batch.map((p) => ({ ...p }));
  }

  private spaceFilling(n: number, rand: () => number, taken: Set<string>): Point[] {
    const out: Point[] = [];
    for (const u of latinHypercube(n, this.space.length, rand)) {
      out.push(this.distinctOr(fromUnit(this.space, u), rand, taken));
    }
    return out;
  }

  /** The point itself if new, else a fresh random one (integer dimensions can make LHS strata collide). */
  private distinctOr(point: Point, rand: () => number, taken: Set<string>): Point {
    let p = point;
    for (let tries = 0; taken.has(keyOf(this.space, p)) && tries < 200; tries++) {
      p = fromUnit(this.space, this.space.map(() => rand()));
    }
    taken.add(keyOf(this.space, p));
    return p;
  }

  private byExpectedImprovement(
    n: number,
    rand: () => number,
    taken: Set<string>,
    observed: { point: Point; value: number }[],
    pending: Point[],
  ): Point[] {
    const values = observed.map((o) => o.value);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) || 1;
    const x = observed.map((o) => toUnit(this.space, o.point));
    const y = values.map((v) => (v - mean) / sd);
    let gp = GaussianProcess.fit(x, y);
    const hyper = gp.hyper;
    // Kriging believer: each pending or just-chosen point is added as if observed at the current posterior mean,
    // which collapses the variance there and pushes the next pick elsewhere. Hyperparameters stay fixed.
    const believe = (u: number[]): void => {
      x.push(u);
      y.push(gp.predict(u).mean);
      gp = new GaussianProcess(x, y, hyper);
    };
    for (const p of pending) believe(toUnit(this.space, p));

    const incumbents = observed
      .map((o, i) => ({ u: x[i]!, value: o.value }))
      .sort((a, b) => b.value - a.value)
      .slice(0, INCUMBENTS)
      .map((o) => o.u);
    const out: Point[] = [];
    for (let k = 0; k < n; k++) {
      const best = Math.max(...y);
      const score = (u: number[]): { ei: number; variance: number } => {
        const post = gp.predict(u);
        return { ei: expectedImprovement(post.mean, post.variance, best, this.xi), variance: post.variance };
      };
      const scored: { point: Point; u: number[]; ei: number; variance: number }[] = [];
      const seen = new Set<string>();
      const consider = (raw: number[]): void => {
        // Score the snapped point (integers rounded), since that is what would be evaluated.
        const point = fromUnit(this.space, raw);
        const key = keyOf(this.space, point);
        if (taken.has(key) || seen.has(key)) return;
        seen.add(key);
        const u = toUnit(this.space, point);
        scored.push({ point, u, ...score(u) });
      };
      const dims = this.space.length;
      for (let i = 0; i < RANDOM_CANDIDATES; i++) consider(Array.from({ length: dims }, () => rand()));
      for (const centre of incumbents) {
        for (let i = 0; i < LOCAL_CANDIDATES; i++) {
          // Mixed step sizes: from coarse moves to fine polishing around the best points.
          const step = 0.15 * 2 ** -Math.floor(rand() * 4);
          consider(centre.map((c) => c + step * gaussian(rand)));
        }
      }
      const top = [...scored].sort((a, b) => b.ei - a.ei).slice(0, REFINE_TOP);
      for (const c of top) {
        for (let i = 0; i < REFINE_CANDIDATES; i++) consider(c.u.map((v) => v + 0.03 * gaussian(rand)));
      }

      let chosen: { point: Point; u: number[] } | undefined;
      let bestEi = 0;
      for (const c of scored) {
        if (c.ei > bestEi) {
          bestEi = c.ei;
          chosen = c;
        }
      }
      // EI underflows to zero when nothing looks promising: fall back to the most uncertain candidate.
      if (chosen === undefined) {
        let bestVariance = -1;
        for (const c of scored) {
          if (c.variance > bestVariance) {
            bestVariance = c.variance;
            chosen = c;
          }
        }
      }
      // Every candidate already taken (tiny discrete space): accept a repeat rather than return fewer points.
      const point = chosen?.point ?? this.distinctOr(fromUnit(this.space, this.space.map(() => rand())), rand, taken);
      taken.add(keyOf(this.space, point));
      out.push(point);
      believe(chosen?.u ?? toUnit(this.space, point));
    }
    return out;
  }
}

// Gaussian-process regression with a Matérn 5/2 kernel, one length scale per input (ARD), on inputs of the
// unit cube and standardised outputs. Length scales and noise are fitted by maximising the log marginal
// likelihood with a pattern search in log space from a few starts; the signal variance has a closed form.
import { cholesky, solveLower, solveUpper } from "./linear-algebra.js";
import type { SeededRandom } from "./random.js";

export interface GpHyper {
  /** One length scale per input (unit-cube units). */
  lengthScales: number[];
  /** Noise variance as a fraction of the signal variance. */
  noise: number;
}

export function matern52(a: readonly number[], b: readonly number[], lengthScales: readonly number[]): number {
  let r2 = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i]! - b[i]!) / lengthScales[i]!;
    r2 += d * d;
  }
  const s = Math.sqrt(5 * r2);
  return (1 + s + (5 * r2) / 3) * Math.exp(-s);
}

// Bounds of the fit, in unit-cube units and relative noise: from sharp features to nearly irrelevant inputs,
// from noise-free to very noisy objectives.
const LOG_LENGTH = [Math.log(0.01), Math.log(20)] as const;
const LOG_NOISE = [Math.log(1e-6), Math.log(0.5)] as const;
const FIT_STARTS = 3;
const FIT_MIN_STEP = 0.05;
const FIT_MAX_EVALUATIONS = 400;

/** A zero-mean GP conditioned on observations; callers standardise their outputs. */
export class GaussianProcess {
  readonly hyper: GpHyper;
  /** Signal variance, at its maximum-likelihood value given the other settings. */
  readonly amplitude: number;
  readonly logMarginalLikelihood: number;
  private readonly x: number[][];
  private readonly l: number[][];
  private readonly alpha: number[];

  constructor(x: readonly (readonly number[])[], y: readonly number[], hyper: GpHyper) {
    if (x.length !== y.length || x.length === 0) throw new RangeError("GaussianProcess: x and y must be non-empty and of the same length");
    const n = x.length;
    const k = x.map((xi, i) => x.map((xj, j) => (i === j ? 1 + hyper.noise : matern52(xi, xj, hyper.lengthScales))));
    this.x = x.map((row) => [...row]);
    this.l = cholesky(k);
    this.alpha = solveUpper(this.l, solveLower(this.l, y));
    // With K = amplitude · R, the likelihood is largest at amplitude = yᵀ R⁻¹ y / n.
    const quad = y.reduce((s, yi, i) => s + yi * this.alpha[i]!, 0);
    this.amplitude = Math.max(quad / n, 1e-12);
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += 2 * Math.log(this.l[i]![i]!);
    this.logMarginalLikelihood = -0.5 * (quad / this.amplitude) - 0.5 * (logDet + n * Math.log(this.amplitude)) - 0.5 * n * Math.log(2 * Math.PI);
    this.hyper = { lengthScales: [...hyper.lengthScales], noise: hyper.noise };
  }

  /** Posterior mean and variance of the latent function at a point (without the observation noise). */
  predict(point: readonly number[]): { mean: number; variance: number } {
    const r = this.x.map((xi) => matern52(point, xi, this.hyper.lengthScales));
    const mean = r.reduce((s, ri, i) => s + ri * this.alpha[i]!, 0);
    const v = solveLower(this.l, r);
    const explained = v.reduce((s, vi) => s + vi * vi, 0);
    return { mean, variance: Math.max(0, this.amplitude * (1 - explained)) };
  }

  /** The GP whose length scales and noise maximise the log marginal likelihood, from FIT_STARTS starts. */
  static fit(x: readonly (readonly number[])[], y: readonly number[], random: SeededRandom): GaussianProcess {
    const dims = x[0]?.length ?? 0;
    const build = (theta: number[]): GaussianProcess | undefined => {
      try {
        return new GaussianProcess(x, y, { lengthScales: theta.slice(0, dims).map(Math.exp), noise: Math.exp(theta[dims]!) });
      } catch {
        return undefined; // a setting whose kernel matrix cannot be factorised is simply not a candidate
      }
    };
    const bounds = [...new Array<readonly [number, number]>(dims).fill(LOG_LENGTH), LOG_NOISE];
    const starts = [[...new Array<number>(dims).fill(Math.log(0.3)), Math.log(1e-3)]];
    for (let s = 1; s < FIT_STARTS; s++) starts.push(bounds.map(([lo, hi]) => lo + random.uniform() * (hi - lo)));
    let best: GaussianProcess | undefined;
    for (const start of starts) {
      const found = patternSearch(start, bounds, build);
      if (found && (best === undefined || found.logMarginalLikelihood > best.logMarginalLikelihood)) best = found;
    }
    if (best === undefined) throw new RangeError("GaussianProcess.fit: no setting of the kernel fits these observations");
    return best;
  }
}

/** Compass search: move one coordinate by ±step while that improves the likelihood, halve the step when none does. */
function patternSearch(
  start: number[],
  bounds: readonly (readonly [number, number])[],
  build: (theta: number[]) => GaussianProcess | undefined,
): GaussianProcess | undefined {
  let theta = [...start];
  let best = build(theta);
  let evaluations = 1;
  for (let stepSize = 1; stepSize >= FIT_MIN_STEP && evaluations < FIT_MAX_EVALUATIONS; ) {
    let improved = false;
    for (let i = 0; i < theta.length; i++) {
      for (const sign of [1, -1]) {
        const trial = [...theta];
        trial[i] = Math.min(bounds[i]![1], Math.max(bounds[i]![0], trial[i]! + sign * stepSize));
        if (trial[i] === theta[i]) continue;
        const gp = build(trial);
        evaluations++;
        if (gp && (best === undefined || gp.logMarginalLikelihood > best.logMarginalLikelihood)) {
          best = gp;
          theta = trial;
          improved = true;
          break;
        }
      }
    }
    if (!improved) stepSize /= 2;
  }
  return best;
}

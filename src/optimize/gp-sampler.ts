// Bayesian optimisation with a Gaussian process: fit the GP on the observed losses (log-warped, then
// standardised), propose the point of highest expected improvement, and fill a batch by the kriging
// believer: each point already pending or just chosen is added as if observed at the posterior mean, which collapses the uncertainty
// there and sends the next pick elsewhere. The hyperparameters stay those of the fit for the whole batch.
import { expectedImprovement, maximizeExpectedImprovement } from "./acquisition.js";
import { GaussianProcess } from "./gaussian-process.js";
import { DEFAULT_INITIAL_RANDOM, randomShare, type ProposalInput, type Sampler } from "./sampler.js";
import { wholeNumber } from "./whole-number.js";
import type { Params } from "./space.js";

export interface GpSamplerOptions {
  /** Trials drawn at random before the GP guides the search (default 10). */
  initialRandom?: number;
  /** Random candidates scored per proposed point, before the local moves (default 1000). */
  candidates?: number;
}

/**
 * The losses on a log scale above the best one, in units of the median's distance from it: the order is
 * kept, and a heavy tail of very bad points (Rosenbrock's, a diverged training's) no longer flattens the
 * differences among the good ones, which are those that matter for improvement.
 */
function warpedLosses(losses: readonly number[]): number[] {
  const best = Math.min(...losses);
  const median = [...losses].sort((a, b) => a - b)[losses.length >> 1]!;
  const unit = median - best || 1;
  return losses.map((v) => Math.log1p((v - best) / unit));
}

/** Observed points the local search starts from. */
const INCUMBENTS = 3;

function propose(input: ProposalInput, initialRandom: number, candidates: number): Params[] {
  const { space, random, observations } = input;
  const out: Params[] = [];
  const atRandom = randomShare(input, initialRandom);
  for (let i = 0; i < atRandom; i++) out.push(space.sample(random));
  if (out.length === input.count || observations.length === 0) {
    while (out.length < input.count) out.push(space.sample(random));
    return out;
  }
  const losses = warpedLosses(observations.map((o) => o.loss));
  const mean = losses.reduce((s, v) => s + v, 0) / losses.length;
  const sd = Math.sqrt(losses.reduce((s, v) => s + (v - mean) ** 2, 0) / losses.length) || 1;
  const x = observations.map((o) => space.encode(o.params));
  const y = losses.map((v) => (v - mean) / sd);
  const bestLoss = Math.min(...y);
  const incumbents = observations
    .map((o, i) => ({ x: x[i]!, loss: o.loss }))
    .sort((a, b) => a.loss - b.loss)
    .slice(0, INCUMBENTS)
    .map((o) => o.x);
  let gp = GaussianProcess.fit(x, y, random);
  const hyper = gp.hyper;
  const believe = (point: Params): void => {
    const encoded = space.encode(point);
    x.push(encoded);
    y.push(gp.predict(encoded).mean);
    gp = new GaussianProcess(x, y, hyper);
  };
  for (const p of input.pending) believe(p);
  for (const p of out) believe(p);
  const taken = new Set([...observations.map((o) => space.keyOf(o.params)), ...input.pending.map((p) => space.keyOf(p)), ...out.map((p) => space.keyOf(p))]);
  while (out.length < input.count) {
    const score = (point: readonly number[]) => {
      const post = gp.predict(point);
      return { ei: expectedImprovement(post.mean, post.variance, bestLoss), variance: post.variance };
    };
    const chosen = maximizeExpectedImprovement({ space, score, incumbents, taken, random, candidates }) ?? space.sample(random);
    taken.add(space.keyOf(chosen));
    out.push(chosen);
    believe(chosen);
  }
  return out;
}

/** The Gaussian-process sampler (Matérn 5/2, expected improvement, batches by the kriging believer). */
export function gpSampler(options: GpSamplerOptions = {}): Sampler {
  const initialRandom = wholeNumber("gpSampler", "initialRandom", options.initialRandom ?? DEFAULT_INITIAL_RANDOM, 1);
  const candidates = wholeNumber("gpSampler", "candidates", options.candidates ?? 1000, 1);
  return {
    description: { kind: "gp", initialRandom, candidates },
    propose: (input) => propose(input, initialRandom, candidates),
  };
}

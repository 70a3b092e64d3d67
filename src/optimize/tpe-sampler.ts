// The tree-structured Parzen estimator: the completed trials are split at a quantile of their losses into
// good and bad ones, and the sampler proposes, among candidates drawn from the good trials' density l, the
// one maximising l / g, g being the bad trials' density. The densities are multivariate (each trial is one
// product kernel over the parameters, so parameters that only work together stay together) on the unit
// coordinates (log-scaled for log parameters): truncated Gaussians for numbers, a kernel that favours the
// trial's own choice for categoricals. A parameter a trial does not have (an inactive conditional one) gets
// the uniform prior's factor; each density also holds the uniform prior as one component, so an unexplored
// region keeps some weight. Parameters are drawn in declaration order, a conditional one only when its
// parent's draw activates it.
import { normalCdf, normalPdf } from "./normal.js";
import type { SeededRandom } from "./random.js";
import { DEFAULT_INITIAL_RANDOM, randomShare, type Observation, type ProposalInput, type Sampler } from "./sampler.js";
import { wholeNumber } from "./whole-number.js";
import type { Params, SearchSpace } from "./space.js";

export interface TpeSamplerOptions {
  /** Trials drawn at random before the estimators guide the search (default 10). */
  initialRandom?: number;
  /** The share of completed trials counted as good (default 0.25). */
  gamma?: number;
  /** Candidates drawn from the good density per proposed point (default 24). */
  candidates?: number;
}

/** A categorical kernel's chance of leaving its trial's own choice, spread evenly over all choices. */
const CATEGORICAL_SPREAD = 0.2;

/** Kernel width on the unit cube: Scott's rule scaled to the cube, narrower as trials accumulate. */
function bandwidth(trials: number, dimensions: number): number {
  return Math.max(0.01, 0.2 * Math.max(1, trials) ** (-1 / (dimensions + 4)));
}

interface Estimator {
  centres: readonly Params[];
  width: number;
}

function kernelFactor(space: SearchSpace, name: string, centre: Params, value: Params[string], width: number): number {
  const p = space.definition[name]!;
  const at = centre[name];
  if (p.kind === "categorical") {
    const k = p.choices.length;
    if (at === undefined) return 1 / k;
    return (at === value ? 1 - CATEGORICAL_SPREAD : 0) + CATEGORICAL_SPREAD / k;
  }
  if (at === undefined) return 1;
  const c = space.toUnit(p, at as number);
  const u = space.toUnit(p, value as number);
  const mass = normalCdf((1 - c) / width) - normalCdf(-c / width);
  return normalPdf((u - c) / width) / width / Math.max(mass, 1e-12);
}

/** log of the estimator's density at a point: the uniform prior and one product kernel per trial, equally weighted. */
function logDensity(space: SearchSpace, e: Estimator, params: Params): number {
  const names = Object.keys(params);
  let prior = 1;
  for (const name of names) {
    const p = space.definition[name]!;
    if (p.kind === "categorical") prior /= p.choices.length;
  }
  let sum = prior;
  for (const centre of e.centres) {
    let product = 1;
    for (const name of names) product *= kernelFactor(space, name, centre, params[name]!, e.width);
    sum += product;
  }
  return Math.log(sum / (e.centres.length + 1));
}

/** One draw: pick a component (the prior or a trial), then each active parameter from it. */
function draw(space: SearchSpace, e: Estimator, random: SeededRandom): Params {
  const k = random.below(e.centres.length + 1);
  const centre = e.centres[k];
  const params: Params = {};
  for (const slot of space.slots) {
    const p = slot.parameter;
    if (!space.isActive(p, params)) continue;
    const at = centre?.[slot.name];
    if (p.kind === "categorical") {
      params[slot.name] = at !== undefined && random.uniform() >= CATEGORICAL_SPREAD ? at : p.choices[random.below(p.choices.length)]!;
      continue;
    }
    if (at === undefined) {
      params[slot.name] = space.fromUnit(p, random.uniform());
      continue;
    }
    const c = space.toUnit(p, at as number);
    let u = Math.min(1, Math.max(0, c));
    for (let tries = 0; tries < 20; tries++) {
      const v = c + e.width * random.normal();
      if (v >= 0 && v <= 1) {
        u = v;
        break;
      }
    }
    params[slot.name] = space.fromUnit(p, u);
  }
  return params;
}

function propose(input: ProposalInput, initialRandom: number, gamma: number, candidates: number): Params[] {
  const { space, random } = input;
  const atRandom = randomShare(input, initialRandom);
  const out: Params[] = Array.from({ length: atRandom }, () => space.sample(random));
  const sorted = [...input.observations].sort((a, b) => a.loss - b.loss);
  const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
  const width = bandwidth(sorted.length, space.slots.length);
  const good: Estimator = { centres: sorted.slice(0, nGood).map((o) => o.params), width };
  // Pending points, and those this batch already holds, count as bad (a constant liar): otherwise every
  // point of a batch would be drawn near the same spot.
  const bad = [...sorted.slice(nGood).map((o: Observation) => o.params), ...input.pending, ...out];
  while (out.length < input.count) {
    if (sorted.length === 0) {
      out.push(space.sample(random));
      continue;
    }
    const badEstimator: Estimator = { centres: bad, width };
    let best: Params | undefined;
    let bestRatio = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < candidates; i++) {
      const candidate = draw(space, good, random);
      const ratio = logDensity(space, good, candidate) - logDensity(space, badEstimator, candidate);
      if (ratio > bestRatio) [best, bestRatio] = [candidate, ratio];
    }
    out.push(best!);
    bad.push(best!);
  }
  return out;
}

/** The TPE sampler: multivariate Parzen estimators, for every kind of parameter. */
export function tpeSampler(options: TpeSamplerOptions = {}): Sampler {
  const initialRandom = wholeNumber("tpeSampler", "initialRandom", options.initialRandom ?? DEFAULT_INITIAL_RANDOM, 1);
  const candidates = wholeNumber("tpeSampler", "candidates", options.candidates ?? 24, 1);
  const gamma = options.gamma ?? 0.25;
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`tpeSampler: gamma must lie strictly between 0 and 1 (got ${String(gamma)})`);
  return {
    description: { kind: "tpe", initialRandom, gamma, candidates },
    propose: (input) => propose(input, initialRandom, gamma, candidates),
  };
}

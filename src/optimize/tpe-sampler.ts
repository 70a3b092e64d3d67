// The tree-structured Parzen estimator: the completed trials are split at a quantile of their losses into
// good and bad ones; each parameter, one at a time in declaration order (so a conditional parameter is
// drawn only when its parent's draw activates it), takes the candidate drawn from the good trials' density
// l that maximises l / g, g being the bad trials' density. Numbers are modelled on the unit coordinate
// (log-scaled for log parameters) by truncated Gaussian kernels, categoricals by smoothed counts; each
// density includes a uniform prior, so an unexplored region keeps some weight.
import { normalCdf, normalPdf } from "./normal.js";
import type { SeededRandom } from "./random.js";
import { checkCount, DEFAULT_INITIAL_RANDOM, randomShare, type Observation, type ProposalInput, type Sampler } from "./sampler.js";
import type { Params, Parameter, SearchSpace } from "./space.js";

export interface TpeSamplerOptions {
  /** Trials drawn at random before the estimators guide the search (default 10). */
  initialRandom?: number;
  /** The share of completed trials counted as good (default 0.25). */
  gamma?: number;
  /** Candidates drawn from the good density per parameter (default 24). */
  candidates?: number;
}

const MIN_BANDWIDTH = 0.01;

/** A mixture of Gaussian kernels truncated to [0, 1], with a uniform component of weight one kernel's. */
interface Parzen {
  centres: number[];
  widths: number[];
}

function parzen(values: readonly number[]): Parzen {
  const sorted = [...values].sort((a, b) => a - b);
  // Each kernel is as wide as the larger gap to its neighbours (the cube's ends count as neighbours).
  const widths = sorted.map((v, i) => {
    const left = v - (i > 0 ? sorted[i - 1]! : 0);
    const right = (i < sorted.length - 1 ? sorted[i + 1]! : 1) - v;
    return Math.min(1, Math.max(MIN_BANDWIDTH, left, right));
  });
  return { centres: sorted, widths };
}

function parzenDensity(p: Parzen, u: number): number {
  let sum = 1; // the uniform prior's density on [0, 1]
  p.centres.forEach((c, i) => {
    const w = p.widths[i]!;
    const mass = normalCdf((1 - c) / w) - normalCdf(-c / w);
    sum += normalPdf((u - c) / w) / w / Math.max(mass, 1e-12);
  });
  return sum / (p.centres.length + 1);
}

function parzenDraw(p: Parzen, random: SeededRandom): number {
  const k = random.below(p.centres.length + 1);
  if (k === p.centres.length) return random.uniform();
  for (let tries = 0; tries < 20; tries++) {
    const u = p.centres[k]! + p.widths[k]! * random.normal();
    if (u >= 0 && u <= 1) return u;
  }
  return Math.min(1, Math.max(0, p.centres[k]!));
}

/** The value of one parameter maximising l / g among candidates drawn from l. */
function drawParameter(
  space: SearchSpace,
  parameter: Parameter,
  name: string,
  good: readonly Observation[],
  bad: readonly Observation[],
  candidates: number,
  random: SeededRandom,
): Params[string] {
  const valuesOf = (obs: readonly Observation[]) => obs.map((o) => o.params[name]).filter((v) => v !== undefined);
  if (parameter.kind === "categorical") {
    const k = parameter.choices.length;
    const weights = (obs: readonly Observation[]) => {
      const values = valuesOf(obs);
      return parameter.choices.map((c) => (values.filter((v) => v === c).length + 1 / k) / (values.length + 1));
    };
    const l = weights(good);
    const g = weights(bad);
    let best = 0;
    let bestRatio = -Infinity;
    for (let i = 0; i < candidates; i++) {
      let r = random.uniform();
      let c = 0;
      while (c < k - 1 && r >= l[c]!) r -= l[c++]!;
      const ratio = l[c]! / g[c]!;
      if (ratio > bestRatio) [best, bestRatio] = [c, ratio];
    }
    return parameter.choices[best]!;
  }
  const unit = (obs: readonly Observation[]) => valuesOf(obs).map((v) => space.toUnit(parameter, v as number));
  const l = parzen(unit(good));
  const g = parzen(unit(bad));
  let best = 0.5;
  let bestRatio = -Infinity;
  for (let i = 0; i < candidates; i++) {
    const u = parzenDraw(l, random);
    const ratio = Math.log(parzenDensity(l, u)) - Math.log(parzenDensity(g, u));
    if (ratio > bestRatio) [best, bestRatio] = [u, ratio];
  }
  return space.fromUnit(parameter, best);
}

function propose(input: ProposalInput, initialRandom: number, gamma: number, candidates: number): Params[] {
  const { space, random } = input;
  const atRandom = randomShare(input, initialRandom);
  const out: Params[] = Array.from({ length: atRandom }, () => space.sample(random));
  const sorted = [...input.observations].sort((a, b) => a.loss - b.loss);
  const nGood = Math.max(1, Math.ceil(gamma * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  while (out.length < input.count) {
    if (sorted.length === 0) {
      out.push(space.sample(random));
      continue;
    }
    const params: Params = {};
    for (const slot of space.slots) {
      if (!space.isActive(slot.parameter, params)) continue;
      params[slot.name] = drawParameter(space, slot.parameter, slot.name, good, bad, candidates, random);
    }
    out.push(params);
  }
  return out;
}

/** The TPE sampler: independent Parzen estimators per parameter, for every kind of parameter. */
export function tpeSampler(options: TpeSamplerOptions = {}): Sampler {
  const initialRandom = checkCount("tpeSampler", "initialRandom", options.initialRandom ?? DEFAULT_INITIAL_RANDOM, 1);
  const candidates = checkCount("tpeSampler", "candidates", options.candidates ?? 24, 1);
  const gamma = options.gamma ?? 0.25;
  if (!(gamma > 0 && gamma < 1)) throw new RangeError(`tpeSampler: gamma must lie strictly between 0 and 1 (got ${String(gamma)})`);
  return {
    description: { kind: "tpe", initialRandom, gamma, candidates },
    propose: (input) => propose(input, initialRandom, gamma, candidates),
  };
}

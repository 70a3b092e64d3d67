// Expected improvement and its maximisation over a search space: random points of the space plus local
// moves around the best observed points and the best candidates, each candidate snapped to a real point
// (integers rounded, one categorical choice) before it is scored, since that is what would be evaluated.
import { normalCdf, normalPdf } from "./normal.js";
import type { SeededRandom } from "./random.js";
import type { Params, SearchSpace } from "./space.js";

/** Expected improvement below `bestLoss` (minimisation) of a Gaussian posterior. */
export function expectedImprovement(mean: number, variance: number, bestLoss: number): number {
  const sd = Math.sqrt(variance);
  const gain = bestLoss - mean;
  if (sd < 1e-12) return Math.max(0, gain);
  const u = gain / sd;
  return gain * normalCdf(u) + sd * normalPdf(u);
}

export interface Scored {
  ei: number;
  variance: number;
}

export interface AcquisitionSearch {
  space: SearchSpace;
  score: (x: readonly number[]) => Scored;
  /** Encoded points to search around: the best observed ones. */
  incumbents: readonly (readonly number[])[];
  /** Keys of points that must not be proposed again. */
  taken: ReadonlySet<string>;
  random: SeededRandom;
  candidates: number;
}

const LOCAL_PER_INCUMBENT = 100;
const REFINED = 5;
const LOCAL_PER_REFINED = 40;

/** A local move: numbers shifted by a normal step of a random scale, now and then another categorical choice. */
function perturb(space: SearchSpace, x: readonly number[], scale: number, random: SeededRandom): Params {
  const moved = [...x];
  for (const slot of space.slots) {
    if (slot.parameter.kind === "categorical") {
      if (random.uniform() < 1 / space.slots.length) {
        for (let i = 0; i < slot.width; i++) moved[slot.offset + i] = 0;
        moved[slot.offset + random.below(slot.width)] = 1;
      }
    } else {
      moved[slot.offset] = moved[slot.offset]! + scale * random.normal();
    }
  }
  return space.decode(moved);
}

/**
 * The untaken point of highest expected improvement; when every candidate's improvement underflows to
 * zero, the most uncertain one. Undefined only when every candidate is taken (a tiny discrete space).
 */
export function maximizeExpectedImprovement(search: AcquisitionSearch): Params | undefined {
  const { space, random, taken } = search;
  const scored: { params: Params; x: number[]; ei: number; variance: number }[] = [];
  const seen = new Set<string>();
  const consider = (params: Params): void => {
    const key = space.keyOf(params);
    if (taken.has(key) || seen.has(key)) return;
    seen.add(key);
    const x = space.encode(params);
    scored.push({ params, x, ...search.score(x) });
  };
  for (let i = 0; i < search.candidates; i++) consider(space.sample(random));
  for (const centre of search.incumbents) {
    // Step scales from coarse moves to fine polishing.
    for (let i = 0; i < LOCAL_PER_INCUMBENT; i++) consider(perturb(space, centre, 0.15 * 2 ** -random.below(4), random));
  }
  const top = [...scored].sort((a, b) => b.ei - a.ei).slice(0, REFINED);
  for (const c of top) for (let i = 0; i < LOCAL_PER_REFINED; i++) consider(perturb(space, c.x, 0.02, random));
  let chosen: (typeof scored)[number] | undefined;
  for (const c of scored) if (c.ei > 0 && (chosen === undefined || c.ei > chosen.ei)) chosen = c;
  if (chosen === undefined) for (const c of scored) if (chosen === undefined || c.variance > chosen.variance) chosen = c;
  return chosen?.params;
}

// What a sampler is: given the study's completed trials (as losses to minimise) and the points still being
// evaluated, it proposes the next points. Its description is plain data, so a saved study can rebuild it.
import type { SeededRandom } from "./random.js";
import type { Params, SearchSpace } from "./space.js";

/** A completed trial as samplers see it: an infeasible one carries a loss worse than every feasible one. */
export interface Observation {
  params: Params;
  loss: number;
}

export interface ProposalInput {
  space: SearchSpace;
  observations: readonly Observation[];
  /** Points asked and not yet told. */
  pending: readonly Params[];
  count: number;
  random: SeededRandom;
}

export type SamplerDescription =
  | { kind: "random" }
  | { kind: "gp"; initialRandom: number; candidates: number }
  | { kind: "tpe"; initialRandom: number; gamma: number; candidates: number };

export interface Sampler {
  readonly description: SamplerDescription;
  propose(input: ProposalInput): Params[];
}

/** Trials a guided sampler draws at random before it models anything, unless told otherwise. */
export const DEFAULT_INITIAL_RANDOM = 10;

/**
 * How many of this proposal's points are drawn at random: those that, counting the trials already told
 * and pending, fall within the first `initialRandom`.
 */
export function randomShare(input: ProposalInput, initialRandom: number): number {
  const before = input.observations.length + input.pending.length;
  return Math.min(input.count, Math.max(0, initialRandom - before));
}

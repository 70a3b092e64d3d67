// NSGA-II (Deb, Pratap, Agarwal and Meyarivan, 2002) for real variables within bounds, all objectives minimised,
// driven by ask/tell so that each generation can be evaluated wherever the caller likes (here: one task).
//
// Survival is elitist (μ + λ): parents and offspring compete, ranked by fast non-dominated sorting and, within the
// last front that fits, by crowding distance. Mating uses binary tournaments on (rank, crowding); variation is
// simulated binary crossover (SBX) and polynomial mutation, both in their bounded forms.

import { mulberry32 } from "pando/optimize";
import { dominates } from "./pareto.js";

export interface Bounds {
  low: number;
  high: number;
}

export interface Nsga2Options {
  /** Parents kept each generation, and offspring proposed each generation. */
  populationSize: number;
  seed: number;
  /** Probability that a pair of parents is crossed (else the children are copies). Default 0.9. */
  crossoverProbability?: number;
  /** SBX distribution index: larger keeps children closer to their parents. Default 15. */
  crossoverEta?: number;
  /** Probability that one variable is mutated. Default 1 / number of variables. */
  mutationProbability?: number;
  /** Polynomial mutation distribution index. Default 20. */
  mutationEta?: number;
}

export interface Individual {
  x: number[];
  objectives: number[];
}

interface Ranked extends Individual {
  rank: number;
  crowding: number;
}

/** Fronts of the points, best first, each a list of indices: front 0 is non-dominated, front 1 is dominated only by front 0, … */
export function nonDominatedSort(points: readonly (readonly number[])[]): number[][] {
  const dominatedBy = points.map(() => 0);
  const dominating: number[][] = points.map(() => []);
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      if (dominates(points[i]!, points[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(points[j]!, points[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let current = points.flatMap((_, i) => (dominatedBy[i] === 0 ? [i] : []));
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Crowding distance of each point of one front (same order as `front`): the sum over objectives of the gap
 * between its neighbours, normalised by the front's range. The extremes of each objective get Infinity so they
 * are always kept.
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): number[] {
  const distance = front.map(() => 0);
  if (front.length === 0) return distance;
  const objectives = points[front[0]!]!.length;
  for (let m = 0; m < objectives; m++) {
    const order = front.map((_, k) => k).sort((a, b) => points[front[a]!]![m]! - points[front[b]!]![m]!);
    const value = (k: number) => points[front[order[k]!]!]![m]!;
    const range = value(order.length - 1) - value(0);
    distance[order[0]!] = Number.POSITIVE_INFINITY;
    distance[order[order.length - 1]!] = Number.POSITIVE_INFINITY;
    if (!(range > 0)) continue;
    for (let k = 1; k < order.length - 1; k++) distance[order[k]!]! += (value(k + 1) - value(k - 1)) / range;
  }
  return distance;
}

/** Latin hypercube sample: each variable's range is cut into n strata and every stratum is used exactly once. */
export function latinHypercube(bounds: readonly Bounds[], n: number, random: () => number): number[][] {
  const columns = bounds.map(({ low, high }) => {
    const strata = Array.from({ length: n }, (_, i) => i);
    shuffle(strata, random);
    return strata.map((s) => low + ((s + random()) / n) * (high - low));
  });
  return Array.from({ length: n }, (_, i) => columns.map((column) => column[i]!));
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * Simulated binary crossover of two parents within bounds: each variable is crossed with probability 1/2, with a
 * spread factor whose distribution (index eta) is truncated so that both children stay inside the bounds.
 */
export function sbx(
  parentA: readonly number[],
  parentB: readonly number[],
  bounds: readonly Bounds[],
  eta: number,
  random: () => number,
): [number[], number[]] {
  const childA = [...parentA];
  const childB = [...parentB];
  bounds.forEach(({ low, high }, i) => {
    const a = parentA[i]!;
    const b = parentB[i]!;
    if (random() >= 0.5 || Math.abs(a - b) < 1e-14) return;
    const lower = Math.min(a, b);
    const upper = Math.max(a, b);
    const u = random();
    // The spread factor β for each child, from a polynomial distribution cut where the child would leave the bounds.
    const spread = (distanceToBound: number) => {
      const beta = 1 + (2 * distanceToBound) / (upper - lower);
      const alpha = 2 - beta ** -(eta + 1);
      return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
    };
    const first = clamp(0.5 * (lower + upper - spread(lower - low) * (upper - lower)), low, high);
    const second = clamp(0.5 * (lower + upper + spread(high - upper) * (upper - lower)), low, high);
    const swap = random() < 0.5;
    childA[i] = swap ? second : first;
    childB[i] = swap ? first : second;
  });
  return [childA, childB];
}

/** Polynomial mutation within bounds: each variable moves with the given probability, never past its bounds. */
export function polynomialMutation(x: readonly number[], bounds: readonly Bounds[], probability: number, eta: number, random: () => number): number[] {
  return x.map((value, i) => {
    const { low, high } = bounds[i]!;
    if (random() >= probability || !(high > low)) return value;
    const range = high - low;
    const below = (value - low) / range;
    const above = (high - value) / range;
    const u = random();
    const power = 1 / (eta + 1);
    // The perturbation's distribution is scaled so that it can reach, but not pass, the nearer bound.
    const delta =
      u < 0.5
        ? (2 * u + (1 - 2 * u) * (1 - below) ** (eta + 1)) ** power - 1
        : 1 - (2 * (1 - u) + 2 * (u - 0.5) * (1 - above) ** (eta + 1)) ** power;
    return clamp(value + delta * range, low, high);
  });
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

export class Nsga2 {
  private readonly random: () => number;
  private readonly crossoverProbability: number;
  private readonly crossoverEta: number;
  private readonly mutationProbability: number;
  private readonly mutationEta: number;
  private population: Ranked[] = [];

  constructor(
    readonly bounds: readonly Bounds[],
    readonly options: Nsga2Options,
  ) {
    if (bounds.length === 0) throw new RangeError("NSGA-II needs at least one variable");
    for (const [i, { low, high }] of bounds.entries()) {
      if (!(high > low)) throw new RangeError(`bounds[${i}]: high (${high}) must be above low (${low})`);
    }
    if (!Number.isInteger(options.populationSize) || options.populationSize < 2) {
      throw new RangeError(`populationSize must be a whole number of at least 2 (got ${options.populationSize})`);
    }
    this.random = mulberry32(options.seed);
    this.crossoverProbability = options.crossoverProbability ?? 0.9;
    this.crossoverEta = options.crossoverEta ?? 15;
    this.mutationProbability = options.mutationProbability ?? 1 / bounds.length;
    this.mutationEta = options.mutationEta ?? 20;
  }

  /** The current parents: the best individuals seen, by rank and crowding. */
  get parents(): readonly Individual[] {
    return this.population;
  }

  /** Points to evaluate next: a Latin hypercube sample first, then each generation's offspring. */
  ask(): number[][] {
    const n = this.options.populationSize;
    if (this.population.length === 0) return latinHypercube(this.bounds, n, this.random);
    const offspring: number[][] = [];
    while (offspring.length < n) {
      const a = this.tournament();
      const b = this.tournament();
      const [childA, childB] =
        this.random() < this.crossoverProbability ? sbx(a.x, b.x, this.bounds, this.crossoverEta, this.random) : [[...a.x], [...b.x]];
      for (const child of [childA, childB]) {
        if (offspring.length < n) offspring.push(polynomialMutation(child, this.bounds, this.mutationProbability, this.mutationEta, this.random));
      }
    }
    return offspring;
  }

  /** Evaluated points (any of those asked for; failures may be left out) join the parents, and the best survive. */
  tell(evaluated: readonly Individual[]): void {
    const pool: Individual[] = [...this.population, ...evaluated];
    const points = pool.map((p) => p.objectives);
    const survivors: Ranked[] = [];
    for (const [rank, front] of nonDominatedSort(points).entries()) {
      const crowding = crowdingDistance(points, front);
      const ranked = front.map((i, k) => ({ x: pool[i]!.x, objectives: pool[i]!.objectives, rank, crowding: crowding[k]! }));
      const room = this.options.populationSize - survivors.length;
      if (ranked.length <= room) {
        survivors.push(...ranked);
      } else {
        // The last front that does not fit keeps its least crowded members; ties keep the earlier (the elder).
        survivors.push(...ranked.map((r, k) => ({ r, k })).sort((p, q) => q.r.crowding - p.r.crowding || p.k - q.k).slice(0, room).map(({ r }) => r));
      }
      if (survivors.length >= this.options.populationSize) break;
    }
    this.population = survivors;
  }

  /** Binary tournament: the lower rank wins, then the larger crowding distance, then the first drawn. */
  private tournament(): Ranked {
    const pick = () => this.population[Math.floor(this.random() * this.population.length)]!;
    const a = pick();
    const b = pick();
    if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
    return b.crowding > a.crowding ? b : a;
  }
}

// The median rule of early stopping: a trial whose best intermediate value so far is worse than the median
// of the completed trials' values at the same step is stopped, once it is past the warm-up steps and enough
// trials have completed for the median to mean something.
import type { Direction } from "./objective.js";
import { wholeNumber } from "./whole-number.js";

export interface MedianPrunerOptions {
  /** Steps a trial always runs before it may be pruned (default 0). */
  warmupSteps?: number;
  /** Completed trials that reported the step needed before any trial is pruned at it (default 5). */
  minCompletedTrials?: number;
}

export interface PrunerDescription {
  kind: "median";
  warmupSteps: number;
  minCompletedTrials: number;
}

/** What the rule reads of a trial: its intermediate values by step. */
export interface Reported {
  intermediate: ReadonlyArray<{ step: number; value: number }>;
}

export interface Pruner {
  readonly description: PrunerDescription;
  /** Whether `trial` should stop, given the completed trials and the objective's direction. */
  shouldPrune(trial: Reported, completed: readonly Reported[], direction: Direction): boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function medianPruner(options: MedianPrunerOptions = {}): Pruner {
  const warmupSteps = wholeNumber("medianPruner", "warmupSteps", options.warmupSteps ?? 0, 0);
  const minCompletedTrials = wholeNumber("medianPruner", "minCompletedTrials", options.minCompletedTrials ?? 5, 1);
  return {
    description: { kind: "median", warmupSteps, minCompletedTrials },
    shouldPrune(trial, completed, direction) {
      const last = trial.intermediate.at(-1);
      if (last === undefined || last.step < warmupSteps) return false;
      const atStep = completed.flatMap((t) => t.intermediate.filter((r) => r.step === last.step).map((r) => r.value));
      if (atStep.length < minCompletedTrials) return false;
      const sign = direction === "minimize" ? 1 : -1;
      const bestSoFar = Math.min(...trial.intermediate.map((r) => sign * r.value));
      return bestSoFar > sign * median(atStep);
    },
  };
}

// The HPO view's numbers: the objective of every job per iteration, each iteration's best, and the best value
// found so far, in the direction the work declared (or, without a declaration, a guessed one).
import type { ObjectiveSeries } from "../../src/api/monitoring.js";
import { isBetter, type ObjectiveDirection } from "../../src/core/objective.js";

/** The guess without a declaration: a loss shrinks as a search improves; every other objective grows. */
export function guessedDirection(field: string): ObjectiveDirection {
  return field.toLowerCase() === "loss" ? "minimize" : "maximize";
}

/** The best of some values in a direction; undefined for none. */
export function bestOf(values: readonly number[], direction: ObjectiveDirection): number | undefined {
  let best: number | undefined;
  for (const v of values) if (best === undefined || isBetter(direction, v, best)) best = v;
  return best;
}

/** A log axis shows only positive numbers: it is offered when every value is above zero. */
export function logAxisAllowed(values: readonly number[]): boolean {
  return values.length > 0 && values.every((v) => v > 0);
}

export interface ObjectivePlot {
  /** The result field plotted, "value" when results are plain numbers and no name was declared. */
  label: string;
  direction: ObjectiveDirection;
  /** True when the work declared no objective and the field and direction were guessed from the results. */
  guessed: boolean;
  /** Work tasks that have numbers, in the order they were created: iteration 1, 2…, with the best of each. */
  iterations: Array<{ iteration: number; taskId: number; seq: number | null; work: string; values: number[]; best: number }>;
  /** The best value over every iteration up to each one. */
  best: Array<{ iteration: number; value: number }>;
  min: number;
  max: number;
  /** Whether the values may be drawn on a log axis (all positive). */
  logAllowed: boolean;
}

/** What to draw for a workflow's objective series; null when no task has a numeric result yet. */
export function objectivePlot(series: ObjectiveSeries): ObjectivePlot | null {
  const direction = series.declared?.direction ?? guessedDirection(series.field);
  const iterations = series.tasks
    .filter((t) => t.values.length > 0)
    .map((t, i) => ({ iteration: i + 1, taskId: t.taskId, seq: t.seq, work: t.work, values: t.values, best: bestOf(t.values, direction)! }));
  if (iterations.length === 0) return null;
  let bestSoFar: number | undefined;
  const best = iterations.map((it) => {
    if (bestSoFar === undefined || isBetter(direction, it.best, bestSoFar)) bestSoFar = it.best;
    return { iteration: it.iteration, value: bestSoFar };
  });
  const all = iterations.flatMap((it) => it.values);
  return {
    label: series.declared?.name ?? (series.field === "" ? "value" : series.field),
    direction,
    guessed: series.declared === null,
    iterations,
    best,
    min: Math.min(...all),
    max: Math.max(...all),
    logAllowed: logAxisAllowed(all),
  };
}

/**
 * At most `max` of an iteration's values to draw as points, spread evenly over their sorted order and
 * always keeping the lowest and highest: a task of thousands of jobs stays a light picture.
 */
export function sampleValues(values: readonly number[], max: number): number[] {
  if (values.length <= max) return [...values];
  const sorted = [...values].sort((a, b) => a - b);
  if (max < 2) return [sorted[0]!];
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))]!);
}

// The HPO view's numbers: the objective of every job per iteration, and the best value found so far.
import type { ObjectiveSeries } from "../../src/api/monitoring.js";

/** A loss shrinks as a search improves; every other objective (score, auc, accuracy…) grows. */
export function lowerIsBetter(field: string): boolean {
  return field.toLowerCase() === "loss";
}

export interface ObjectivePlot {
  /** The result field plotted, "value" when results are plain numbers. */
  label: string;
  lowerIsBetter: boolean;
  /** Work tasks that have numbers, in the order they were created: iteration 1, 2… */
  iterations: Array<{ iteration: number; taskId: number; seq: number | null; work: string; values: number[] }>;
  /** The best value over every iteration up to each one. */
  best: Array<{ iteration: number; value: number }>;
  min: number;
  max: number;
}

/** What to draw for a workflow's objective series; null when no task has a numeric result yet. */
export function objectivePlot(series: ObjectiveSeries): ObjectivePlot | null {
  const lower = lowerIsBetter(series.field);
  const better = (a: number, b: number) => (lower ? a < b : a > b);
  const iterations = series.tasks
    .filter((t) => t.values.length > 0)
    .map((t, i) => ({ iteration: i + 1, taskId: t.taskId, seq: t.seq, work: t.work, values: t.values }));
  if (iterations.length === 0) return null;
  let bestSoFar: number | undefined;
  const best = iterations.map((it) => {
    for (const v of it.values) if (bestSoFar === undefined || better(v, bestSoFar)) bestSoFar = v;
    return { iteration: it.iteration, value: bestSoFar! };
  });
  const all = iterations.flatMap((it) => it.values);
  return {
    label: series.field === "" ? "value" : series.field,
    lowerIsBetter: lower,
    iterations,
    best,
    min: Math.min(...all),
    max: Math.max(...all),
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

// The parameter view's numbers: one chosen argument (x) against the objective (y) over a workflow's finished
// jobs, and which point is best in the objective's direction.
import type { JobValues } from "../../src/api/monitoring.js";
import { PLAIN_RESULT } from "../../src/core/job-columns.js";
import { isBetter, type ObjectiveDirection } from "../../src/core/objective.js";

export interface ParameterPoint {
  jobId: number;
  taskId: number;
  /** The argument's value: a number, or the position of a text value among `categories`. */
  x: number;
  y: number;
  /** The argument as the job had it, for the point's tooltip. */
  raw: string | number | boolean;
}

export interface ParameterPoints {
  points: ParameterPoint[];
  /** The text values of a categorical argument, in order; empty for a numeric one. */
  categories: string[];
  /** Index of the best point in `points`; -1 without points. */
  best: number;
}

/** The objective of a job: its result's field, or a plain number result (`field` "" when results are numbers). */
export function objectiveOf(row: JobValues, field: string): number | undefined {
  return row.result[field] ?? row.result[PLAIN_RESULT];
}

/** The arguments a scatter can put on x: those with a number, text or boolean in some finished job. */
export function parameterChoices(rows: readonly JobValues[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r.args)) if (v !== null) keys.add(k);
  return [...keys];
}

/**
 * One point per job that has both the argument and the objective. An argument whose values are all numbers
 * is a numeric axis; any other is categorical (each distinct value a place on x, in sorted order).
 */
export function parameterPoints(rows: readonly JobValues[], parameter: string, field: string, direction: ObjectiveDirection): ParameterPoints {
  const usable = rows.flatMap((r) => {
    const raw = r.args[parameter];
    const y = objectiveOf(r, field);
    return raw === undefined || raw === null || y === undefined ? [] : [{ row: r, raw, y }];
  });
  const numeric = usable.every((u) => typeof u.raw === "number");
  const categories = numeric ? [] : [...new Set(usable.map((u) => String(u.raw)))].sort();
  const points = usable.map((u) => ({
    jobId: u.row.id,
    taskId: u.row.taskId,
    x: numeric ? (u.raw as number) : categories.indexOf(String(u.raw)),
    y: u.y,
    raw: u.raw,
  }));
  let best = -1;
  points.forEach((p, i) => {
    if (best === -1 || isBetter(direction, p.y, points[best]!.y)) best = i;
  });
  return { points, categories, best };
}

// A work's declared objective, and which number of a job's result is the objective, for plotting a
// workflow's progress (the HPO view).

export const OBJECTIVE_DIRECTIONS = ["minimize", "maximize"] as const;
export type ObjectiveDirection = (typeof OBJECTIVE_DIRECTIONS)[number];

/**
 * What a work declares it optimises: `name` is the field of an object result that is the objective (for a
 * plain number result it only labels it), and `direction` says whether lower or higher values are better.
 */
export interface DeclaredObjective {
  name: string;
  direction: ObjectiveDirection;
}

/**
 * What is wrong with a declared objective as a work's options give it (they are not type-checked in plain
 * JavaScript), or undefined when it is well-formed; the server's schema checks it again.
 */
export function objectiveProblem(objective: unknown): string | undefined {
  if (typeof objective !== "object" || objective === null) return `must be an object such as { name: "auc", direction: "maximize" }, not ${JSON.stringify(objective)}`;
  const { name, direction } = objective as Record<string, unknown>;
  if (typeof name !== "string" || name === "") return `needs a name: the result field that is the objective (got ${JSON.stringify(name)})`;
  if (!OBJECTIVE_DIRECTIONS.includes(direction as ObjectiveDirection)) return `direction must be "minimize" or "maximize" (got ${JSON.stringify(direction)})`;
  return undefined;
}

/** Whether `a` is a better objective value than `b` in `direction`. */
export function isBetter(direction: ObjectiveDirection, a: number, b: number): boolean {
  return direction === "minimize" ? a < b : a > b;
}

/** Field names tried first, in order, when results are objects. */
const PREFERRED = ["objective", "auc", "score", "loss", "value", "accuracy", "fom"];

/** The objective field of an object result: a preferred name if it holds a number, else its first number. */
export function objectiveField(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const numeric = Object.keys(record).filter((k) => typeof record[k] === "number" && Number.isFinite(record[k]));
  return PREFERRED.find((k) => numeric.includes(k)) ?? numeric[0];
}

/**
 * The numbers to plot from a list of decoded results: the results themselves when they are numbers, else
 * one field chosen from the first object result and read from every result that has it.
 */
export function objectiveValues(results: readonly unknown[]): { field: string; values: number[] } {
  const first = results.find((r) => (typeof r === "number" && Number.isFinite(r)) || objectiveField(r) !== undefined);
  if (first === undefined) return { field: "", values: [] };
  if (typeof first === "number") return { field: "", values: numbers(results) };
  const field = objectiveField(first)!;
  return { field, values: pick(results, field) };
}

/** The values of a declared objective: plain number results as they are, and the named field of object results. */
export function declaredValues(results: readonly unknown[], name: string): number[] {
  return results.flatMap((r) => (typeof r === "number" ? numbers([r]) : pick([r], name)));
}

/** The numbers of one field, from the results that have it. */
export function pick(results: readonly unknown[], field: string): number[] {
  const out: number[] = [];
  for (const r of results) {
    const v = typeof r === "object" && r !== null ? (r as Record<string, unknown>)[field] : undefined;
    if (typeof v === "number" && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The finite numbers among the results. */
export function numbers(results: readonly unknown[]): number[] {
  return results.filter((r): r is number => typeof r === "number" && Number.isFinite(r));
}

/**
 * The objective of a workflow's tasks, one field for all: the first declared objective (only the tasks that
 * declare that name count, since another work's numbers are not it), or, without any, a field chosen from
 * the first result that has a number. `values` follows the order of `tasks`.
 */
export function seriesValues(tasks: ReadonlyArray<{ objective: DeclaredObjective | null; results: readonly unknown[] }>): {
  field: string;
  declared: DeclaredObjective | null;
  values: number[][];
} {
  const declared = tasks.find((t) => t.objective !== null)?.objective ?? null;
  if (declared !== null) {
    const values = tasks.map((t) => (t.objective?.name === declared.name ? declaredValues(t.results, declared.name) : []));
    return { field: declared.name, declared, values };
  }
  const { field } = objectiveValues(tasks.flatMap((t) => t.results));
  return { field, declared, values: tasks.map((t) => (field === "" ? numbers(t.results) : pick(t.results, field))) };
}

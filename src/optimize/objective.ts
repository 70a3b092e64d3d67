// The declared objective: which field of a trial's value is optimised and in which direction, and which
// fields are constraints. Samplers see one number to minimise, the loss.

export type Direction = "minimize" | "maximize";

export interface Objective {
  /** The field of a trial's value that is optimised (a plain number counts as this field). */
  name: string;
  direction: Direction;
  /** Fields of a trial's value that must be ≤ 0 for the trial to count as feasible. */
  constraints?: readonly string[];
}

/**
 * A trial's result: the objective alone, or an object holding it under `name` (and the constraints); an
 * object type without an index signature (a job's result interface) is one too.
 */
export type TrialValue = number | object;

/** What a told value means for the study. */
export interface Reading {
  /** The objective's value as the user gave it. */
  value: number;
  /** The value turned into a quantity to minimise. */
  loss: number;
  constraints: number[];
  feasible: boolean;
}

/** Validates an objective; throws a RangeError saying what is wrong. */
export function defineObjective(objective: Objective): Objective {
  const problems: string[] = [];
  if (typeof objective?.name !== "string" || objective.name === "") problems.push("name must be a non-empty string (the result's field to optimise)");
  if (objective?.direction !== "minimize" && objective?.direction !== "maximize") {
    problems.push(`direction must be "minimize" or "maximize" (got ${JSON.stringify(objective?.direction)})`);
  }
  const constraints = objective?.constraints ?? [];
  if (!Array.isArray(constraints) || constraints.some((c) => typeof c !== "string" || c === "" || c === objective.name)) {
    problems.push("constraints must be a list of field names, other than the objective's own");
  }
  if (problems.length > 0) throw new RangeError(`invalid objective: ${problems.join("; ")}`);
  return { name: objective.name, direction: objective.direction, ...(constraints.length > 0 ? { constraints: [...constraints] } : {}) };
}

function finiteField(value: object, field: string, role: string): number {
  const v = (value as Record<string, unknown>)[field];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`a trial's value must hold the ${role} ${JSON.stringify(field)} as a finite number (got ${JSON.stringify(v)}); tell a failed evaluation with tellFailed`);
  }
  return v;
}

/** Reads a told value; throws a RangeError when it lacks the objective or a constraint. */
export function readValue(objective: Objective, told: TrialValue): Reading {
  const constraintNames = objective.constraints ?? [];
  let value: number;
  let constraints: number[] = [];
  if (typeof told === "number") {
    if (!Number.isFinite(told)) throw new RangeError(`a trial's value must be finite (got ${told}); tell a failed evaluation with tellFailed`);
    if (constraintNames.length > 0) {
      throw new RangeError(`the objective has constraints (${constraintNames.join(", ")}): tell an object holding ${objective.name} and them`);
    }
    value = told;
  } else if (typeof told === "object" && told !== null) {
    value = finiteField(told, objective.name, "objective");
    constraints = constraintNames.map((c) => finiteField(told, c, "constraint"));
  } else {
    throw new RangeError(`a trial's value is a number or an object holding ${JSON.stringify(objective.name)} (got ${JSON.stringify(told)})`);
  }
  return { value, loss: objective.direction === "minimize" ? value : -value, constraints, feasible: constraints.every((c) => c <= 0) };
}

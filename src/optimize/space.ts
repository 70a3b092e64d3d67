// Search spaces: the parameters a study proposes, their validation, and their encoding on the unit cube,
// which is where the Gaussian process and the Parzen estimators work.
import type { SeededRandom } from "./random.js";

export type Choice = string | number | boolean;
/** A proposed point: each active parameter's value by name (an inactive conditional parameter is absent). */
export type Params = Record<string, Choice>;

/** A parameter is active only while `parent` (a categorical declared before it) holds one of `values`. */
export interface Condition {
  parent: string;
  values: readonly Choice[];
}

export interface FloatParameter {
  kind: "float";
  low: number;
  high: number;
  /** Search uniformly in log(value); needs low > 0. */
  log?: boolean;
  when?: Condition;
}

export interface IntParameter {
  kind: "int";
  low: number;
  high: number;
  log?: boolean;
  when?: Condition;
}

export interface CategoricalParameter {
  kind: "categorical";
  choices: readonly Choice[];
  when?: Condition;
}

export type Parameter = FloatParameter | IntParameter | CategoricalParameter;
/** The parameters by name, in the order they were declared (a condition's parent comes before its child). */
export type SpaceDefinition = Record<string, Parameter>;

export const float = (low: number, high: number, options: { log?: boolean; when?: Condition } = {}): FloatParameter => ({ kind: "float", low, high, ...options });
export const int = (low: number, high: number, options: { log?: boolean; when?: Condition } = {}): IntParameter => ({ kind: "int", low, high, ...options });
export const categorical = (choices: readonly Choice[], options: { when?: Condition } = {}): CategoricalParameter => ({ kind: "categorical", choices, ...options });

/** Where a parameter's coordinates sit in the encoded vector: one for a number, one per choice for a categorical. */
export interface Slot {
  name: string;
  parameter: Parameter;
  offset: number;
  width: number;
}

function problemsOf(name: string, p: Parameter, earlier: SpaceDefinition): string[] {
  const problems: string[] = [];
  if (p.kind === "float" || p.kind === "int") {
    if (!(Number.isFinite(p.low) && Number.isFinite(p.high) && p.low < p.high)) {
      problems.push(`${name}: low must be below high, both finite (got low ${p.low}, high ${p.high})`);
    } else if (p.log && p.low <= 0) {
      problems.push(`${name}: a log parameter needs low > 0 (got ${p.low}); search a shifted parameter or drop log`);
    }
    if (p.kind === "int" && !(Number.isInteger(p.low) && Number.isInteger(p.high))) {
      problems.push(`${name}: an int parameter's low and high must be whole numbers (got ${p.low}, ${p.high})`);
    }
  } else if (p.kind === "categorical") {
    if (!Array.isArray(p.choices) || p.choices.length === 0) problems.push(`${name}: a categorical parameter needs at least one choice`);
    else if (new Set(p.choices).size !== p.choices.length) problems.push(`${name}: its choices repeat a value (${p.choices.map(String).join(", ")})`);
  } else {
    problems.push(`${name}: unknown kind ${JSON.stringify((p as { kind: unknown }).kind)}; use float, int or categorical`);
  }
  if (p.when !== undefined) {
    const parent = earlier[p.when.parent];
    if (parent === undefined) {
      problems.push(`${name}: its condition names the parent ${JSON.stringify(p.when.parent)}, which is not a parameter declared before it`);
    } else if (parent.kind !== "categorical") {
      problems.push(`${name}: its condition's parent ${p.when.parent} must be categorical`);
    } else {
      const unknown = p.when.values.filter((v) => !parent.choices.includes(v));
      if (p.when.values.length === 0 || unknown.length > 0) {
        problems.push(`${name}: its condition's values must be among ${p.when.parent}'s choices (${parent.choices.map(String).join(", ")}), got ${p.when.values.map(String).join(", ") || "none"}`);
      }
    }
  }
  return problems;
}

function snapInt(p: IntParameter, v: number): number {
  return Math.min(p.high, Math.max(p.low, Math.round(v)));
}

/** A validated search space. */
export class SearchSpace {
  readonly definition: SpaceDefinition;
  readonly slots: readonly Slot[];
  /** Coordinates of the encoded vector. */
  readonly dimensions: number;

  constructor(definition: SpaceDefinition) {
    const names = Object.keys(definition ?? {});
    if (names.length === 0) throw new RangeError("a search space needs at least one parameter, e.g. { x: float(0, 1) }");
    const problems: string[] = [];
    const earlier: SpaceDefinition = {};
    const slots: Slot[] = [];
    let offset = 0;
    for (const name of names) {
      const parameter = definition[name]!;
      problems.push(...problemsOf(name, parameter, earlier));
      earlier[name] = parameter;
      const width = parameter.kind === "categorical" ? parameter.choices.length : 1;
      slots.push({ name, parameter, offset, width });
      offset += width;
    }
    if (problems.length > 0) throw new RangeError(`invalid search space: ${problems.join("; ")}`);
    this.definition = structuredClone(definition);
    this.slots = slots;
    this.dimensions = offset;
  }

  /** Whether the parameter is active for the values chosen so far (its parent's, if it has one). */
  isActive(parameter: Parameter, params: Params): boolean {
    if (parameter.when === undefined) return true;
    const parent = params[parameter.when.parent];
    return parent !== undefined && parameter.when.values.includes(parent);
  }

  /** A point drawn uniformly (log-uniformly on log parameters). */
  sample(random: SeededRandom): Params {
    const params: Params = {};
    for (const slot of this.slots) {
      if (!this.isActive(slot.parameter, params)) continue;
      const p = slot.parameter;
      params[slot.name] = p.kind === "categorical" ? p.choices[random.below(p.choices.length)]! : this.fromUnit(p, random.uniform());
    }
    return params;
  }

  /** A number's unit coordinate (log-scaled on log parameters). */
  toUnit(p: FloatParameter | IntParameter, v: number): number {
    const t = p.log ? (Math.log(v) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low)) : (v - p.low) / (p.high - p.low);
    return Math.min(1, Math.max(0, t));
  }

  /** The value at a unit coordinate, inside the bounds (rounded on int parameters). */
  fromUnit(p: FloatParameter | IntParameter, u: number): number {
    const t = Math.min(1, Math.max(0, u));
    const v = p.log ? Math.exp(Math.log(p.low) + t * (Math.log(p.high) - Math.log(p.low))) : p.low + t * (p.high - p.low);
    // exp and log may step a rounding error outside the bounds.
    const inside = Math.min(p.high, Math.max(p.low, v));
    return p.kind === "int" ? snapInt(p, inside) : inside;
  }

  /**
   * The point on the unit cube: a number's coordinate, a categorical's one-hot coordinates; an inactive
   * parameter's coordinates are 0, the same for every point where it is inactive.
   */
  encode(params: Params): number[] {
    const x = new Array<number>(this.dimensions).fill(0);
    for (const slot of this.slots) {
      const value = params[slot.name];
      if (value === undefined) continue;
      const p = slot.parameter;
      if (p.kind === "categorical") x[slot.offset + p.choices.indexOf(value)] = 1;
      else x[slot.offset] = this.toUnit(p, value as number);
    }
    return x;
  }

  /** The point a vector of the cube stands for: numbers from their coordinate, a categorical from its largest one. */
  decode(x: readonly number[]): Params {
    const params: Params = {};
    for (const slot of this.slots) {
      const p = slot.parameter;
      if (!this.isActive(p, params)) continue;
      if (p.kind === "categorical") {
        let best = 0;
        for (let i = 1; i < slot.width; i++) if (x[slot.offset + i]! > x[slot.offset + best]!) best = i;
        params[slot.name] = p.choices[best]!;
      } else {
        params[slot.name] = this.fromUnit(p, x[slot.offset]!);
      }
    }
    return params;
  }

  /** Throws, saying what is wrong, unless `params` is a point of this space: every active parameter in bounds, nothing else. */
  check(params: Params): void {
    const problems: string[] = [];
    for (const slot of this.slots) {
      const p = slot.parameter;
      const value = params[slot.name];
      if (!this.isActive(p, params)) {
        if (value !== undefined) problems.push(`${slot.name} is given but inactive (its parent ${p.when!.parent} is ${String(params[p.when!.parent])})`);
        continue;
      }
      if (value === undefined) problems.push(`${slot.name} is missing`);
      else if (p.kind === "categorical" ? !p.choices.includes(value) : !(typeof value === "number" && value >= p.low && value <= p.high)) {
        problems.push(`${slot.name} = ${JSON.stringify(value)} is outside its ${p.kind === "categorical" ? `choices (${p.choices.map(String).join(", ")})` : `bounds [${p.low}, ${p.high}]`}`);
      } else if (p.kind === "int" && !Number.isInteger(value)) problems.push(`${slot.name} = ${String(value)} is not a whole number`);
    }
    for (const name of Object.keys(params)) if (!(name in this.definition)) problems.push(`${name} is not a parameter of the space`);
    if (problems.length > 0) throw new RangeError(`not a point of the search space: ${problems.join("; ")}`);
  }

  /** A text that equal points share, to tell a repeated proposal. */
  keyOf(params: Params): string {
    return JSON.stringify(this.slots.map((s) => params[s.name] ?? null));
  }
}

/** Validates a space's definition; throws a RangeError listing every problem. */
export function defineSpace(definition: SpaceDefinition): SearchSpace {
  return new SearchSpace(definition);
}

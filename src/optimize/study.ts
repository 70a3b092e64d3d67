// A study: the ask/tell record of one optimisation. It asks its sampler for points, keeps every trial and
// its outcome, and is deterministic for a seed: the same sequence of asks and tells gives the same points,
// so a driver that runs again from the start (a resumed workflow) proposes what it proposed before.
import { gpSampler } from "./gp-sampler.js";
import { medianPruner, type Pruner, type PrunerDescription } from "./median-pruner.js";
import { defineObjective, readValue, type Objective, type TrialValue } from "./objective.js";
import { randomSampler } from "./random-sampler.js";
import { SeededRandom } from "./random.js";
import type { Observation, Sampler, SamplerDescription } from "./sampler.js";
import { SearchSpace, type Params, type SpaceDefinition } from "./space.js";
import { tpeSampler } from "./tpe-sampler.js";
import { wholeNumber } from "./whole-number.js";

export type TrialState = "running" | "complete" | "failed" | "pruned";

export interface Trial {
  id: number;
  params: Params;
  state: TrialState;
  /** The objective's value, once complete. */
  value?: number;
  /** The constraints' values, once complete, in the objective's order; feasible when all are ≤ 0. */
  constraints?: number[];
  feasible?: boolean;
  /** Values reported while running (`report`), by step. */
  intermediate: { step: number; value: number }[];
  /** Why a failed trial failed, as told. */
  error?: string;
}

/** A trial as `ask` hands it out. */
export interface Ask {
  id: number;
  params: Params;
}

export interface StudyOptions {
  space: SpaceDefinition | SearchSpace;
  objective: Objective;
  /** Default: the Gaussian-process sampler. */
  sampler?: Sampler;
  pruner?: Pruner;
  seed: number;
}

export const STUDY_FORMAT = "pando.optimize.study/1";

/** A study as JSON: everything `restoreStudy` needs, including the generator's state. */
export interface StudyJson {
  format: typeof STUDY_FORMAT;
  space: SpaceDefinition;
  objective: Objective;
  sampler: SamplerDescription;
  pruner?: PrunerDescription;
  seed: number;
  randomState: number;
  trials: Trial[];
}

// Redraws of a repeated point before a repeat is accepted: only a tiny discrete space runs out of new points.
const MAX_REDRAWS = 100;

export class Study {
  readonly space: SearchSpace;
  readonly objective: Objective;
  readonly sampler: Sampler;
  readonly pruner: Pruner | undefined;
  readonly seed: number;
  private readonly random: SeededRandom;
  private readonly all: Trial[] = [];

  /** A new study; with `saved` (what `toJSON()` gave, see `restoreStudy`), one that continues from its trials and generator. */
  constructor(options: StudyOptions, saved?: StudyJson) {
    if (!Number.isInteger(options?.seed)) throw new RangeError(`createStudy: seed must be a whole number (got ${JSON.stringify(options?.seed)}); it makes the proposals reproducible`);
    this.space = options.space instanceof SearchSpace ? options.space : new SearchSpace(options.space);
    this.objective = defineObjective(options.objective);
    this.sampler = options.sampler ?? gpSampler();
    this.pruner = options.pruner;
    this.seed = options.seed;
    this.random = saved ? SeededRandom.fromState(saved.randomState) : new SeededRandom(options.seed);
    if (saved) this.all.push(...structuredClone(saved.trials));
  }

  /** `count` new trials, each a distinct point not asked before (unless the space has too few points). */
  ask(count = 1): Ask[] {
    wholeNumber("ask", "count", count, 1);
    const proposed = this.sampler.propose({
      space: this.space,
      observations: this.observations(),
      pending: this.all.filter((t) => t.state === "running").map((t) => t.params),
      count,
      random: this.random,
    });
    const taken = new Set(this.all.map((t) => this.space.keyOf(t.params)));
    return proposed.map((candidate) => {
      let params = candidate;
      for (let redraws = 0; taken.has(this.space.keyOf(params)) && redraws < MAX_REDRAWS; redraws++) params = this.space.sample(this.random);
      this.space.check(params);
      taken.add(this.space.keyOf(params));
      const trial: Trial = { id: this.all.length, params, state: "running", intermediate: [] };
      this.all.push(trial);
      return { id: trial.id, params: { ...params } };
    });
  }

  /** Records a trial's result: a number, or an object holding the objective's field (and its constraints). */
  tell(id: number, value: TrialValue): void {
    const trial = this.running(id, "tell");
    const reading = readValue(this.objective, value);
    Object.assign(trial, { state: "complete", value: reading.value, constraints: reading.constraints, feasible: reading.feasible });
  }

  /** Records that a trial's evaluation failed: it is no longer pending, and samplers never see it. */
  tellFailed(id: number, error = "failed"): void {
    Object.assign(this.running(id, "tellFailed"), { state: "failed", error });
  }

  /** Records that a trial stopped early (see `shouldPrune`). */
  tellPruned(id: number): void {
    this.running(id, "tellPruned").state = "pruned";
  }

  /** Records an intermediate value of a running trial at `step`, for the pruner. */
  report(id: number, step: number, value: number): void {
    const trial = this.running(id, "report");
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`report: step must be a whole number ≥ 0 (got ${String(step)})`);
    if (!Number.isFinite(value)) throw new RangeError(`report: the value at step ${step} must be finite (got ${String(value)})`);
    const last = trial.intermediate.at(-1);
    if (last !== undefined && step <= last.step) throw new RangeError(`report: trial ${id} already reported step ${last.step}; steps must increase`);
    trial.intermediate.push({ step, value });
  }

  /** Whether the pruner would stop this running trial now; false without a pruner. */
  shouldPrune(id: number): boolean {
    const trial = this.running(id, "shouldPrune");
    if (this.pruner === undefined) return false;
    return this.pruner.shouldPrune(trial, this.all.filter((t) => t.state === "complete"), this.objective.direction);
  }

  /** The best complete feasible trial, by the objective's direction; the earliest one on a tie. */
  best(): { id: number; params: Params; value: number } | undefined {
    let best: Trial | undefined;
    const sign = this.objective.direction === "minimize" ? 1 : -1;
    for (const t of this.all) {
      if (t.state === "complete" && t.feasible && (best === undefined || sign * t.value! < sign * best.value!)) best = t;
    }
    return best && { id: best.id, params: { ...best.params }, value: best.value! };
  }

  /** Every trial so far, as copies. */
  trials(): Trial[] {
    return structuredClone(this.all);
  }

  toJSON(): StudyJson {
    return {
      format: STUDY_FORMAT,
      space: structuredClone(this.space.definition),
      objective: { ...this.objective },
      sampler: { ...this.sampler.description },
      ...(this.pruner ? { pruner: { ...this.pruner.description } } : {}),
      seed: this.seed,
      randomState: this.random.state,
      trials: this.trials(),
    };
  }

  /**
   * The complete trials as samplers see them: the loss to minimise, an infeasible trial's loss above every
   * feasible one's by its total violation, so the model learns to leave the infeasible region.
   */
  private observations(): Observation[] {
    const complete = this.all.filter((t) => t.state === "complete");
    const sign = this.objective.direction === "minimize" ? 1 : -1;
    const worst = Math.max(...complete.map((t) => sign * t.value!));
    return complete.map((t) => ({
      params: t.params,
      loss: t.feasible ? sign * t.value! : worst + t.constraints!.reduce((s, c) => s + Math.max(0, c), 0),
    }));
  }

  private running(id: number, action: string): Trial {
    const trial = this.all[id];
    if (!Number.isInteger(id) || trial === undefined) throw new RangeError(`${action}: no trial ${String(id)}; ask gave ids 0 to ${this.all.length - 1}`);
    if (trial.state !== "running") throw new RangeError(`${action}: trial ${id} is already ${trial.state}; a trial is told once`);
    return trial;
  }
}

/** Creates a study; throws a RangeError when the space, the objective or the seed is invalid. */
export function createStudy(options: StudyOptions): Study {
  return new Study(options);
}

function samplerOf(description: SamplerDescription): Sampler {
  switch (description?.kind) {
    case "random":
      return randomSampler();
    case "gp":
      return gpSampler(description);
    case "tpe":
      return tpeSampler(description);
    default:
      throw new RangeError(`restoreStudy: unknown sampler ${JSON.stringify(description)}; the samplers are random, gp and tpe`);
  }
}

/** The study a `toJSON()` saved, ready to ask what the saved one would have asked next. */
export function restoreStudy(json: StudyJson): Study {
  if (json?.format !== STUDY_FORMAT) {
    throw new RangeError(`restoreStudy: not a saved study (format ${JSON.stringify(json?.format)}, expected ${JSON.stringify(STUDY_FORMAT)}); pass what study.toJSON() gave`);
  }
  if (!Array.isArray(json.trials) || json.trials.some((t, i) => t?.id !== i)) throw new RangeError("restoreStudy: the trials must be a list whose ids are 0, 1, 2, … in order");
  return new Study(
    {
      space: json.space,
      objective: json.objective,
      sampler: samplerOf(json.sampler),
      ...(json.pruner ? { pruner: medianPruner(json.pruner) } : {}),
      seed: json.seed,
    },
    json,
  );
}

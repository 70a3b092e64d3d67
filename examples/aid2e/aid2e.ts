// AI-assisted detector design (AID2E), the paper's second use case, on a toy scale: a multi-objective evolutionary
// optimiser (NSGA-II) designs a barrel silicon tracker, trading momentum resolution against cost and acceptance.
// Each iteration proposes a generation of designs and evaluates them as ONE task, one job per design; the loop
// stops when the Pareto front stops growing (its hypervolume) or after a number of iterations. The driver then
// writes the front as a plot and a table.
//
//   pando run examples/aid2e/aid2e.ts#design                                       the defaults below
//   pando run examples/aid2e/aid2e.ts#design '{"population":24,"maxIterations":30}'
import { context, work, workflow } from "pando";
import { Nsga2, type Bounds } from "./nsga2.js";
import { hypervolume, paretoFront } from "./pareto.js";
import { writeReport, type ReportFiles } from "./report.js";
import { DEFAULT_SETTINGS, simulateTracker, type Performance, type SimulationSettings, type TrackerDesign } from "./tracker.js";

/** A design variable and the range the optimiser searches. */
export interface Dimension {
  name: keyof TrackerDesign;
  low: number;
  high: number;
  /** Rounded to a whole number. */
  integer?: boolean;
  /** Searched uniformly in log(value). */
  log?: boolean;
  /** Decimal places kept: finer than this makes no difference to a tracker, and equal designs are then found equal. */
  decimals: number;
}

export const SPACE: Dimension[] = [
  { name: "layers", low: 3, high: 8, integer: true, decimals: 0 },
  { name: "innerRadius", low: 0.03, high: 0.1, decimals: 4 },
  { name: "outerRadius", low: 0.2, high: 0.8, decimals: 4 },
  { name: "halfLength", low: 0.2, high: 1.5, decimals: 4 },
  { name: "thickness", low: 0.003, high: 0.03, log: true, decimals: 5 },
];

/**
 * The hypervolume's reference point (resolution, cost, 1 − acceptance): a tracker worse than 5 %, dearer than 100
 * units or accepting nothing is of no interest. Objectives are divided by it, so the hypervolume is the fraction
 * of the box [0, reference] that the front dominates.
 */
export const REFERENCE_POINT = [0.05, 100, 1];

/** The optimiser's bounds of a dimension: whole numbers get equal shares of the range, log ones are searched in log. */
export function searchBounds(d: Dimension): Bounds {
  if (d.integer) return { low: d.low - 0.5, high: d.high + 0.5 };
  return d.log ? { low: Math.log(d.low), high: Math.log(d.high) } : { low: d.low, high: d.high };
}

/** The design a point of the optimiser's search space stands for. */
export function decode(x: readonly number[]): TrackerDesign {
  const values = SPACE.map((d, i) => {
    const raw = d.log ? Math.exp(x[i]!) : x[i]!;
    const value = Math.min(d.high, Math.max(d.low, d.integer ? Math.round(raw) : raw));
    return [d.name, Number(value.toFixed(d.decimals))] as const;
  });
  return Object.fromEntries(values) as unknown as TrackerDesign;
}

/** One evaluated design: what it is and how it does. */
export interface Evaluation extends Performance {
  design: TrackerDesign;
}

/** Objectives, all minimised. A design that reconstructs (almost) nothing has no resolution: it counts as 100 %. */
export function objectivesOf(e: Evaluation): number[] {
  return [Math.min(e.resolution, 1), e.cost, 1 - e.acceptance];
}

function frontHypervolume(front: readonly Evaluation[]): number {
  return hypervolume(
    front.map((e) => objectivesOf(e).map((v, i) => v / REFERENCE_POINT[i]!)),
    REFERENCE_POINT.map(() => 1),
  );
}

/** One evaluation: simulate the tracker and measure its objectives. */
export const evaluateDesign = work(
  { name: "aid2e.evaluate", mapResults: true, maxAttempts: 2 },
  async (design: TrackerDesign, settings: SimulationSettings): Promise<Evaluation> => ({ design, ...simulateTracker(design, settings) }),
);

export interface DesignOptions {
  /** Iterations (generations) at most. Default 25. */
  maxIterations?: number;
  /** Designs per generation: the jobs of each iteration's task. Default 16. */
  population?: number;
  /** Seed of the optimiser and of the simulated particles. Default 1. */
  seed?: number;
  /** Particles simulated per design. Default 10000 (about 50–100 ms per design). */
  particles?: number;
  /** Stop once the hypervolume has grown by less than `tolerance` (relative) this many iterations in a row. Default 3. */
  patience?: number;
  /** Default 0.003 (0.3 %). */
  tolerance?: number;
  /** Where the driver writes front.svg, front.csv and front.md; relative to its working directory. Default .pando/aid2e. */
  outputDir?: string;
}

const DEFAULT_OPTIONS: Required<DesignOptions> = {
  maxIterations: 25,
  population: 16,
  seed: 1,
  particles: DEFAULT_SETTINGS.particles,
  patience: 3,
  tolerance: 0.003,
  outputDir: ".pando/aid2e",
};

function resolveOptions(options: unknown): Required<DesignOptions> {
  if (options === undefined) return DEFAULT_OPTIONS;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`the design workflow takes one options object, e.g. '{"maxIterations":10,"population":16}', not ${JSON.stringify(options)}`);
  }
  const o = { ...DEFAULT_OPTIONS, ...(options as DesignOptions) };
  const unknown = Object.keys(options).filter((k) => !(k in DEFAULT_OPTIONS));
  const problems = unknown.map((k) => `unknown option '${k}' (options: ${Object.keys(DEFAULT_OPTIONS).join(", ")})`);
  const atLeast = (name: keyof DesignOptions, min: number) => {
    const v = o[name];
    if (!(Number.isInteger(v) && (v as number) >= min)) problems.push(`${name} must be a whole number of at least ${min} (got ${JSON.stringify(v)})`);
  };
  atLeast("maxIterations", 1);
  atLeast("population", 4);
  atLeast("seed", 0);
  atLeast("particles", 100);
  atLeast("patience", 1);
  if (!(typeof o.tolerance === "number" && o.tolerance >= 0)) problems.push(`tolerance must be a number of at least 0 (got ${JSON.stringify(o.tolerance)})`);
  if (!(typeof o.outputDir === "string" && o.outputDir !== "")) problems.push("outputDir must be a non-empty path");
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  return o;
}

export interface IterationRecord {
  iteration: number;
  /** The server's task of this iteration: its jobs evaluated this generation. */
  taskId: number | null;
  /** Jobs of the task: the generation's distinct designs. */
  evaluated: number;
  failed: number;
  /** Of the Pareto front of every design evaluated so far. */
  hypervolume: number;
  frontSize: number;
}

export interface DesignResult {
  /** "converged": the hypervolume stopped growing for `patience` iterations; "maxIterations": it ran out of iterations. */
  stopReason: "converged" | "maxIterations";
  iterations: number;
  evaluations: number;
  hypervolume: number;
  elapsedSeconds: number;
  /** Non-dominated designs among all those evaluated, cheapest first. */
  front: Evaluation[];
  history: IterationRecord[];
  files: ReportFiles;
}

const designKey = (d: TrackerDesign) => JSON.stringify(d);

export const design = workflow({ name: "aid2e.design" }, async (options?: DesignOptions): Promise<DesignResult> => {
  const o = resolveOptions(options);
  const ctx = context();
  const started = await ctx.now();
  // One particle seed for every design: all are judged on the same particles.
  const settings: SimulationSettings = { ...DEFAULT_SETTINGS, particles: o.particles, seed: o.seed };
  const optimiser = new Nsga2(SPACE.map(searchBounds), { populationSize: o.population, seed: o.seed });
  const evaluated: Evaluation[] = [];
  // Every design evaluated so far that none dominates: an archive apart from the optimiser's population, which
  // crowding may thin, so its hypervolume can only grow.
  let front: Evaluation[] = [];
  const history: IterationRecord[] = [];
  let stopReason: DesignResult["stopReason"] = "maxIterations";
  let flat = 0;
  for (let iteration = 1; iteration <= o.maxIterations; iteration++) {
    const candidates = optimiser.ask().map((x) => ({ x, design: decode(x) }));
    // Offspring may repeat a design; a task's entries must differ, and one evaluation serves them all.
    const designs = [...new Map(candidates.map((c) => [designKey(c.design), c.design])).values()];
    const entries = designs.map((d) => [d, settings] as [TrackerDesign, SimulationSettings]);
    const run = evaluateDesign.map(entries); // one task, one job per design
    const results = await run;
    const byDesign = new Map<string, Evaluation>();
    for (const entry of entries) {
      const value = results.get(entry);
      if (value !== undefined) byDesign.set(designKey(entry[0]), value);
    }
    // Failed jobs are left out: the optimiser takes whatever part of a generation was evaluated.
    optimiser.tell(
      candidates.flatMap((c) => {
        const e = byDesign.get(designKey(c.design));
        return e ? [{ x: c.x, objectives: objectivesOf(e) }] : [];
      }),
    );
    evaluated.push(...byDesign.values());
    front = paretoFront([...front, ...byDesign.values()], objectivesOf);
    const volume = frontHypervolume(front);
    const previous = history.at(-1)?.hypervolume;
    history.push({ iteration, taskId: run.taskId, evaluated: entries.length, failed: results.failed.length, hypervolume: volume, frontSize: front.length });
    if (previous !== undefined) {
      flat = previous > 0 && (volume - previous) / previous < o.tolerance ? flat + 1 : 0;
      if (flat >= o.patience) {
        stopReason = "converged";
        break;
      }
    }
  }
  const elapsedSeconds = ((await ctx.now()) - started) / 1000;
  const sorted = [...front].sort((a, b) => a.cost - b.cost);
  // Designs evaluated again in a later generation are plotted once; those on the front are not "dominated".
  const onFront = new Set(front.map((e) => designKey(e.design)));
  const dominated = [...new Map(evaluated.map((e) => [designKey(e.design), e])).values()].filter((e) => !onFront.has(designKey(e.design)));
  const hypervolumeNow = history.at(-1)?.hypervolume ?? 0;
  const files = writeReport(
    o.outputDir,
    sorted,
    dominated,
    {
      iterations: history.length,
      evaluations: evaluated.length,
      stopReason:
        stopReason === "converged"
          ? `converged (the hypervolume grew by less than ${100 * o.tolerance} % for ${o.patience} iterations in a row)`
          : `after the last of ${o.maxIterations} iterations`,
      hypervolume: hypervolumeNow,
      elapsedSeconds,
    },
  );
  return {
    stopReason,
    iterations: history.length,
    evaluations: evaluated.length,
    hypervolume: hypervolumeNow,
    elapsedSeconds,
    front: sorted,
    history,
    files,
  };
});

// `npm run bench` (part): the optimiser's quality. Random search, TPE and the Gaussian-process sampler of
// pando/optimize each get the same budget (12 batches of 5 points, through the batch loop) on Branin,
// Hartmann-6 and Rosenbrock-5, for seeds 1 to 10; the figure is the median simple regret (the best value
// found minus the known minimum). Deterministic: the same code gives the same table on any machine.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createStudy, gpSampler, randomSampler, runBatchLoop, TEST_FUNCTIONS, tpeSampler, type Sampler } from "pando/optimize";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);
const ITERATIONS = 12;
const BATCH = 5;
const SAMPLERS: Record<string, () => Sampler> = { random: randomSampler, tpe: tpeSampler, gp: gpSampler };

interface Cell {
  regrets: number[];
  medianRegret: number;
  /** Wall time of the samplers' proposals for all seeds, in seconds (the test functions cost nothing). */
  seconds: number;
}

async function main(): Promise<void> {
  const results: Record<string, Record<string, Cell>> = {};
  for (const f of TEST_FUNCTIONS) {
    results[f.name] = {};
    for (const [name, sampler] of Object.entries(SAMPLERS)) {
      const started = performance.now();
      const regrets: number[] = [];
      for (const seed of SEEDS) {
        const study = createStudy({ space: f.space, objective: { name: "value", direction: "minimize" }, sampler: sampler(), seed });
        await runBatchLoop(study, { iterations: ITERATIONS, batchSize: BATCH, evaluate: async (points) => points.map((p) => f.evaluate(p)) });
        regrets.push(study.best()!.value - f.minimum);
      }
      const cell = { regrets, medianRegret: median(regrets), seconds: (performance.now() - started) / 1000 };
      results[f.name]![name] = cell;
      process.stderr.write(`optimize: ${f.name} ${name}: median regret ${cell.medianRegret.toPrecision(3)} (${cell.seconds.toFixed(1)} s)\n`);
    }
  }
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  const budget = { iterations: ITERATIONS, batch: BATCH, seeds: SEEDS };
  writeFileSync(join(ROOT, "bench", "results", "optimize.json"), `${JSON.stringify({ date: new Date().toISOString(), budget, results }, null, 2)}\n`);
}

await main();

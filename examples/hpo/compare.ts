// Bayesian optimisation against random search on the same budget: for each seed, both strategies get the same
// iterations × points evaluations of the same objective, and the best AUC each found is compared.
//
//   pando run examples/hpo/compare.ts#compare                 5 seeds, 3 iterations × 8 points per run
//   pando run examples/hpo/compare.ts#compare 10 10 20        10 seeds at the paper's 10 × 20
//
// Arguments: seeds iterations points trainEvents. Every iteration of every run is one task, so the runs are
// distributed like any other HPO; the table goes to the terminal of `pando run` (the driver's), the numbers
// are the workflow's result.
import { workflow } from "pando";
import { DEFAULT_TRAIN_EVENTS, search } from "./hpo.js";

export interface ComparisonRow {
  seed: number;
  /** Best AUC found by Bayesian optimisation. */
  bayes: number;
  /** Best AUC found by random search. */
  random: number;
}

export interface ComparisonSummary {
  meanBayes: number;
  meanRandom: number;
  /** Seeds on which Bayesian optimisation found the better AUC, the worse, or the same. */
  bayesWins: number;
  randomWins: number;
  ties: number;
}

export function summarise(rows: readonly ComparisonRow[]): ComparisonSummary {
  if (rows.length === 0) throw new Error("summarise: no rows");
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    meanBayes: mean(rows.map((r) => r.bayes)),
    meanRandom: mean(rows.map((r) => r.random)),
    bayesWins: rows.filter((r) => r.bayes > r.random).length,
    randomWins: rows.filter((r) => r.random > r.bayes).length,
    ties: rows.filter((r) => r.bayes === r.random).length,
  };
}

/** The rows and their summary as a Markdown table, AUCs to four decimals. */
export function comparisonTable(rows: readonly ComparisonRow[]): string {
  const s = summarise(rows);
  const winner = (r: ComparisonRow) => (r.bayes > r.random ? "Bayesian" : r.random > r.bayes ? "random" : "tie");
  const lines = [
    "| seed | Bayesian optimisation | random search | better |",
    "| ---: | ---: | ---: | :--- |",
    ...rows.map((r) => `| ${r.seed} | ${r.bayes.toFixed(4)} | ${r.random.toFixed(4)} | ${winner(r)} |`),
    `| mean | ${s.meanBayes.toFixed(4)} | ${s.meanRandom.toFixed(4)} | Bayesian on ${s.bayesWins} of ${rows.length} seeds` +
      `${s.ties > 0 ? ` (${s.ties} tied)` : ""} |`,
  ];
  return lines.join("\n");
}

export const compare = workflow(
  { name: "hpo.compare" },
  async (seeds = 5, iterations = 3, points = 8, trainEvents = DEFAULT_TRAIN_EVENTS) => {
    if (!(Number.isInteger(seeds) && seeds >= 1)) throw new RangeError(`seeds must be a whole number of at least 1 (got ${JSON.stringify(seeds)})`);
    const rows: ComparisonRow[] = [];
    // One run after the other: each run's iterations depend on each other anyway, each task has `points` jobs to
    // keep the pilots busy, and calls made in a fixed order let a resumed driver find its tasks again.
    for (let seed = 1; seed <= seeds; seed++) {
      const bayes = await search({ iterations, points, seed, strategy: "bayes", trainEvents });
      const random = await search({ iterations, points, seed, strategy: "random", trainEvents });
      rows.push({ seed, bayes: bayes.bestAuc ?? Number.NaN, random: random.bestAuc ?? Number.NaN });
    }
    console.log(`${iterations} iterations × ${points} points per run, ${trainEvents} training events\n\n${comparisonTable(rows)}\n`);
    return { seeds, iterations, points, trainEvents, rows, ...summarise(rows) };
  },
);

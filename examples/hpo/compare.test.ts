import { describe, expect, it } from "vitest";
import { comparisonTable, summarise } from "./compare.js";

const rows = [
  { seed: 1, bayes: 0.88, random: 0.87 },
  { seed: 2, bayes: 0.86, random: 0.875 },
  { seed: 3, bayes: 0.87, random: 0.87 },
  { seed: 4, bayes: 0.9, random: 0.85 },
];

describe("summarise", () => {
  it("gives the means and counts the seeds each strategy won", () => {
    const s = summarise(rows);
    expect(s.meanBayes).toBeCloseTo(0.8775, 12);
    expect(s.meanRandom).toBeCloseTo(0.86625, 12);
    expect(s).toMatchObject({ bayesWins: 2, randomWins: 1, ties: 1 });
    expect(() => summarise([])).toThrow();
  });
});

describe("comparisonTable", () => {
  it("is a Markdown table of the seeds and their summary", () => {
    expect(comparisonTable(rows).split("\n")).toEqual([
      "| seed | Bayesian optimisation | random search | better |",
      "| ---: | ---: | ---: | :--- |",
      "| 1 | 0.8800 | 0.8700 | Bayesian |",
      "| 2 | 0.8600 | 0.8750 | random |",
      "| 3 | 0.8700 | 0.8700 | tie |",
      "| 4 | 0.9000 | 0.8500 | Bayesian |",
      "| mean | 0.8775 | 0.8663 | Bayesian on 2 of 4 seeds (1 tied) |",
    ]);
  });
});

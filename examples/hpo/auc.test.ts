import { describe, expect, it } from "vitest";
import { auc } from "./auc.js";
import { mulberry32 } from "pando/optimize";

describe("auc", () => {
  it("matches hand-computed values", () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered correctly.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.4, 0.3, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it("counts ties as one half", () => {
    // Pairs: (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.2) = 1, (0.9 vs both) = 2; 3.5 of 4.
    expect(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBeCloseTo(0.875, 12);
    // Three-way tie across classes: positive 0.7 beats one negative and ties one; positive 0.3 ties one negative.
    expect(auc([0.7, 0.7, 0.3, 0.3, 0.1], [1, 0, 1, 0, 0])).toBeCloseTo((2.5 + 1.5) / 6, 12);
  });

  it("equals the fraction of correctly ordered pairs counted one by one", () => {
    const rand = mulberry32(5);
    // Coarse scores, so that ties across classes are frequent.
    const scores = Array.from({ length: 200 }, () => Math.floor(rand() * 10));
    const labels = scores.map((s) => (rand() < 0.2 + s / 15 ? 1 : 0));
    let pairs = 0;
    let won = 0;
    scores.forEach((sp, p) => {
      if (labels[p] !== 1) return;
      scores.forEach((sn, n) => {
        if (labels[n] !== 0) return;
        pairs++;
        won += sp > sn ? 1 : sp === sn ? 0.5 : 0;
      });
    });
    expect(auc(scores, labels)).toBeCloseTo(won / pairs, 12);
  });

  it("gives 0.5 for a constant scorer and handles infinities", () => {
    expect(auc([3, 3, 3, 3, 3], [1, 0, 0, 1, 0])).toBe(0.5);
    expect(auc([-Infinity, Infinity, 0], [0, 1, 0])).toBe(1);
  });

  it("is undefined (NaN) with one class, and rejects bad input", () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => auc([0.1], [1, 0])).toThrow();
    expect(() => auc([NaN, 1], [1, 0])).toThrow();
  });
});

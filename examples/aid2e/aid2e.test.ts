import { describe, expect, it } from "vitest";
import { mulberry32 } from "pando/optimize";
import { SPACE, decode, objectivesOf, searchBounds } from "./aid2e.js";
import { checkDesign } from "./tracker.js";

describe("the design space", () => {
  const bounds = SPACE.map(searchBounds);

  it("decodes every point of the search space into a valid design within the ranges", () => {
    const random = mulberry32(1);
    const layers = new Map<number, number>();
    for (let i = 0; i < 6000; i++) {
      const design = decode(bounds.map(({ low, high }) => low + random() * (high - low)));
      expect(() => checkDesign(design)).not.toThrow();
      for (const d of SPACE) {
        expect(design[d.name]).toBeGreaterThanOrEqual(d.low);
        expect(design[d.name]).toBeLessThanOrEqual(d.high);
        expect(Number(design[d.name].toFixed(d.decimals))).toBe(design[d.name]);
      }
      layers.set(design.layers, (layers.get(design.layers) ?? 0) + 1);
    }
    // Each whole number of layers gets an equal share of the range.
    expect([...layers.keys()].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
    for (const count of layers.values()) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it("maps the corners of the search space onto the ranges' ends, the thickness on a log scale", () => {
    expect(decode(bounds.map((b) => b.low))).toEqual({ layers: 3, innerRadius: 0.03, outerRadius: 0.2, halfLength: 0.2, thickness: 0.003 });
    expect(decode(bounds.map((b) => b.high))).toEqual({ layers: 8, innerRadius: 0.1, outerRadius: 0.8, halfLength: 1.5, thickness: 0.03 });
    const middle = decode(bounds.map((b) => (b.low + b.high) / 2));
    expect(middle.thickness).toBeCloseTo(Math.sqrt(0.003 * 0.03), 5);
  });

  it("minimises resolution, cost and inefficiency, counting an unmeasured resolution as 100 %", () => {
    const design = decode(bounds.map((b) => b.low));
    expect(objectivesOf({ design, resolution: 0.01, cost: 3, acceptance: 0.75, reconstructed: 75 })).toEqual([0.01, 3, 0.25]);
    expect(objectivesOf({ design, resolution: Infinity, cost: 3, acceptance: 0, reconstructed: 0 })).toEqual([1, 3, 1]);
  });
});

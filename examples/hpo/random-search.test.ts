import { describe, expect, it } from "vitest";
import type { Dimension } from "./bayesopt.js";
import { RandomSearch } from "./random-search.js";

const space: Dimension[] = [
  { name: "rate", low: 1e-3, high: 10, log: true },
  { name: "depth", low: 2, high: 5, integer: true },
  { name: "fraction", low: 0.1, high: 1 },
];

describe("RandomSearch", () => {
  it("proposes points within the bounds, integers whole, log dimensions uniform in log", () => {
    const points = new RandomSearch(space, { seed: 1 }).suggest(2000);
    for (const p of points) {
      expect(Object.keys(p).sort()).toEqual(["depth", "fraction", "rate"]);
      expect(p.rate!).toBeGreaterThanOrEqual(1e-3);
      expect(p.rate!).toBeLessThanOrEqual(10);
      expect([2, 3, 4, 5]).toContain(p.depth);
      expect(p.fraction!).toBeGreaterThanOrEqual(0.1);
      expect(p.fraction!).toBeLessThanOrEqual(1);
    }
    const belowGeometricMidpoint = points.filter((p) => p.rate! < 0.1).length;
    expect(Math.abs(belowGeometricMidpoint - 1000)).toBeLessThan(100);
  });

  it("is deterministic for a seed, whatever was registered, and differs between seeds", () => {
    const a = new RandomSearch(space, { seed: 7 });
    const b = new RandomSearch(space, { seed: 7 });
    const first = a.suggest(5);
    expect(b.suggest(5)).toEqual(first);
    for (const p of first) a.register(p, p.fraction!);
    expect(a.suggest(4)).toEqual(b.suggest(4));
    expect(new RandomSearch(space, { seed: 8 }).suggest(5)).not.toEqual(first);
  });

  it("never proposes a point twice, within a batch or across batches", () => {
    const tiny: Dimension[] = [{ name: "k", low: 0, high: 9, integer: true }];
    const search = new RandomSearch(tiny, { seed: 3 });
    const seen = [...search.suggest(4), ...search.suggest(6)].map((p) => p.k);
    expect([...seen].sort((x, y) => x! - y!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("reports the best finite observation", () => {
    const search = new RandomSearch(space, { seed: 1 });
    expect(search.best()).toBeUndefined();
    const [p, q, r] = search.suggest(3);
    search.register(p!, 0.7);
    search.register(q!, Number.NaN);
    search.register(r!, 0.9);
    expect(search.observations).toHaveLength(2);
    expect(search.best()).toEqual({ point: r, value: 0.9 });
  });

  it("rejects invalid spaces and batch sizes", () => {
    expect(() => new RandomSearch([])).toThrow();
    expect(() => new RandomSearch([{ name: "a", low: 0, high: 1, log: true }])).toThrow();
    expect(() => new RandomSearch(space).suggest(-1)).toThrow();
  });
});

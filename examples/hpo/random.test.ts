import { describe, expect, it } from "vitest";
import { gaussian, mixSeed, mulberry32 } from "./random.js";

describe("mulberry32", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
  });

  it("produces uniforms in [0, 1)", () => {
    const rand = mulberry32(1);
    const xs = Array.from({ length: 20000 }, () => rand());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeCloseTo(0.5, 1);
    // Each tenth of the interval gets about a tenth of the draws.
    const counts = new Array<number>(10).fill(0);
    for (const x of xs) counts[Math.floor(x * 10)]!++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});

describe("gaussian", () => {
  it("has mean 0 and variance 1", () => {
    const rand = mulberry32(3);
    const xs = Array.from({ length: 20000 }, () => gaussian(rand));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(xs.every(Number.isFinite)).toBe(true);
  });
});

describe("mixSeed", () => {
  it("gives distinct seeds for distinct inputs and the same for the same", () => {
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(1, 3));
  });
});

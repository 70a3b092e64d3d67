import { describe, expect, it } from "vitest";
import { gaussian, mixSeed, mulberry32, SeededRandom } from "./random.js";

describe("seeded random numbers", () => {
  it("continues a saved generator exactly where it stopped", () => {
    const a = new SeededRandom(42);
    for (let i = 0; i < 10; i++) a.uniform();
    const b = SeededRandom.fromState(JSON.parse(JSON.stringify(a.state)) as number);
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(Array.from({ length: 5 }, () => a.uniform()));
  });

  it("draws uniforms in [0, 1) and normals of mean 0 and variance 1", () => {
    const r = new SeededRandom(1);
    const u = Array.from({ length: 20000 }, () => r.uniform());
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const uniforms = mulberry32(mixSeed(7, 1));
    const z = Array.from({ length: 20000 }, () => gaussian(uniforms));
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length).toBeGreaterThan(0.9);
  });

  it("refuses a seed or a state that is not a whole number", () => {
    expect(() => new SeededRandom(1.5)).toThrow(/whole number/);
    expect(() => SeededRandom.fromState(-1)).toThrow(/\[0, 2\^32\)/);
  });
});

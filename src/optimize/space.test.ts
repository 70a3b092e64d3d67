import { describe, expect, it } from "vitest";
import { SeededRandom } from "./random.js";
import { categorical, defineSpace, float, int } from "./space.js";

const space = defineSpace({
  rate: float(1e-4, 1, { log: true }),
  momentum: float(0, 0.99),
  depth: int(1, 16),
  trees: int(2, 512, { log: true }),
  kind: categorical(["linear", "forest", "net"]),
  layers: int(1, 4, { when: { parent: "kind", values: ["net"] } }),
  act: categorical(["relu", "tanh"], { when: { parent: "kind", values: ["net"] } }),
});

describe("search spaces", () => {
  it("samples points inside the space, conditional parameters only when their parent allows (many seeds)", () => {
    for (let seed = 0; seed < 300; seed++) {
      const p = space.sample(new SeededRandom(seed));
      expect(() => space.check(p)).not.toThrow();
      expect("layers" in p).toBe(p.kind === "net");
    }
  });

  it("decodes what it encodes: every sampled point round-trips through the unit cube", () => {
    for (let seed = 0; seed < 300; seed++) {
      const p = space.sample(new SeededRandom(seed));
      const x = space.encode(p);
      expect(x).toHaveLength(space.dimensions);
      expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
      const back = space.decode(x);
      expect(back.kind).toBe(p.kind);
      expect(back.depth).toBe(p.depth);
      expect(back.trees).toBe(p.trees);
      expect(back.rate as number).toBeCloseTo(p.rate as number, 12);
      expect(back.momentum as number).toBeCloseTo(p.momentum as number, 12);
      expect(back.layers).toBe(p.layers);
    }
  });

  it("decodes any vector of the cube to a point of the space", () => {
    const random = new SeededRandom(3);
    for (let i = 0; i < 300; i++) {
      const x = Array.from({ length: space.dimensions }, () => 1.4 * random.uniform() - 0.2);
      expect(() => space.check(space.decode(x))).not.toThrow();
    }
  });

  it("refuses a definition it cannot search, naming every problem", () => {
    expect(() => defineSpace({})).toThrow(/at least one parameter/);
    expect(() => defineSpace({ x: float(2, 1) })).toThrow(/x: low must be below high/);
    expect(() => defineSpace({ x: float(0, 1, { log: true }) })).toThrow(/log parameter needs low > 0/);
    expect(() => defineSpace({ n: int(0.5, 3) })).toThrow(/whole numbers/);
    expect(() => defineSpace({ c: categorical([]) })).toThrow(/at least one choice/);
    expect(() => defineSpace({ c: categorical(["a", "a"]) })).toThrow(/repeat/);
    expect(() => defineSpace({ y: float(0, 1, { when: { parent: "k", values: ["a"] } }) })).toThrow(/parent "k", which is not a parameter declared before it/);
    expect(() => defineSpace({ k: categorical(["a"]), y: float(0, 1, { when: { parent: "k", values: ["b"] } }) })).toThrow(/among k's choices/);
    expect(() => defineSpace({ a: float(1, 0), b: int(3, 2) })).toThrow(/a: low.*; b: low/);
  });

  it("says what is wrong with a point that is not in the space", () => {
    expect(() => space.check({ rate: 2, momentum: 0, depth: 1, trees: 2, kind: "linear" })).toThrow(/rate = 2 is outside its bounds/);
    expect(() => space.check({ rate: 0.1, momentum: 0, depth: 1, trees: 2, kind: "linear", layers: 2 })).toThrow(/layers is given but inactive/);
    expect(() => space.check({ rate: 0.1, momentum: 0, depth: 1.5, trees: 2, kind: "net", layers: 1, act: "relu", extra: 1 })).toThrow(
      /depth = 1.5 is not a whole number; extra is not a parameter/,
    );
  });
});

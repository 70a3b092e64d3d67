import { describe, expect, it } from "vitest";
import { gpSampler } from "./gp-sampler.js";
import { medianPruner } from "./median-pruner.js";
import { randomSampler } from "./random-sampler.js";
import { SeededRandom } from "./random.js";
import type { Sampler } from "./sampler.js";
import { categorical, float, int } from "./space.js";
import { createStudy, restoreStudy, type Study } from "./study.js";
import { branin } from "./test-functions.js";
import { tpeSampler } from "./tpe-sampler.js";

const space = {
  x: float(-5, 10),
  n: int(1, 20, { log: true }),
  kind: categorical(["a", "b"]),
  y: float(0, 15, { when: { parent: "kind", values: ["b"] } }),
};
const objective = { name: "loss", direction: "minimize" } as const;
const loss = (p: Record<string, unknown>) => ((p.x as number) - 1) ** 2 + (p.n as number) / 10 + (p.kind === "b" ? (p.y as number) / 5 : 1);
const samplers: Record<string, () => Sampler> = { random: randomSampler, tpe: () => tpeSampler({ initialRandom: 4 }), gp: () => gpSampler({ initialRandom: 4, candidates: 200 }) };

/** Asks and tells `rounds` batches of 3, failing every seventh trial. */
function drive(study: Study, rounds: number): void {
  for (let r = 0; r < rounds; r++) {
    for (const a of study.ask(3)) {
      if (a.id % 7 === 6) study.tellFailed(a.id, "out of memory");
      else study.tell(a.id, { loss: loss(a.params) });
    }
  }
}

describe.each(Object.keys(samplers))("a study with the %s sampler", (name) => {
  const make = (seed: number) => createStudy({ space, objective, sampler: samplers[name]!(), seed });

  it("asks distinct points of the space, and the same points for the same seed and tells", () => {
    const a = make(5);
    const b = make(5);
    drive(a, 4);
    drive(b, 4);
    const points = a.trials().map((t) => t.params);
    expect(b.trials().map((t) => t.params)).toEqual(points);
    for (const p of points) expect(() => a.space.check(p)).not.toThrow();
    expect(new Set(points.map((p) => a.space.keyOf(p))).size).toBe(points.length);
    expect(a.trials().filter((t) => t.state === "failed").map((t) => t.error)).toEqual(["out of memory"]);
  });

  it("restored from its JSON, asks what the original asks next (several seeds)", () => {
    for (const seed of [1, 2, 3]) {
      const original = make(seed);
      drive(original, 3);
      const pending = original.ask(2);
      const restored = restoreStudy(JSON.parse(JSON.stringify(original.toJSON())));
      expect(restored.ask(3)).toEqual(original.ask(3));
      for (const s of [original, restored]) s.tell(pending[0]!.id, 0.5);
      expect(restored.best()).toEqual(original.best());
    }
  });
});

describe("study", () => {
  it("keeps the best feasible trial by the objective's direction", () => {
    const study = createStudy({ space: { x: float(0, 1) }, objective: { name: "auc", direction: "maximize", constraints: ["c"] }, sampler: randomSampler(), seed: 1 });
    const [a, b, c] = study.ask(3);
    study.tell(a!.id, { auc: 0.7, c: 0 });
    study.tell(b!.id, { auc: 0.9, c: 1 });
    study.tell(c!.id, { auc: 0.8, c: -1 });
    expect(study.best()).toEqual({ id: c!.id, params: c!.params, value: 0.8 });
  });

  it("refuses what it cannot do, saying why", () => {
    const study = createStudy({ space: { x: float(0, 1) }, objective, sampler: randomSampler(), seed: 1 });
    expect(() => createStudy({ space: { x: float(0, 1) }, objective, seed: 0.5 })).toThrow(/seed must be a whole number/);
    expect(() => study.ask(0)).toThrow(/count must be a whole number of at least 1/);
    const [a] = study.ask();
    study.tell(a!.id, 1);
    expect(() => study.tell(a!.id, 2)).toThrow(/trial 0 is already complete/);
    expect(() => study.tell(9, 2)).toThrow(/no trial 9/);
    expect(() => restoreStudy({ format: "other" } as never)).toThrow(/not a saved study/);
  });

  it("prunes a trial whose intermediate values are worse than the completed trials' median", () => {
    const study = createStudy({ space: { x: float(0, 1) }, objective, sampler: randomSampler(), pruner: medianPruner({ warmupSteps: 1, minCompletedTrials: 3 }), seed: 1 });
    for (const [i, a] of study.ask(3).entries()) {
      for (let step = 0; step < 3; step++) study.report(a.id, step, 10 - step + i);
      study.tell(a.id, 8 + i);
    }
    const [good, bad] = study.ask(2);
    study.report(good!.id, 0, 100);
    expect(study.shouldPrune(good!.id)).toBe(false); // within the warm-up
    study.report(good!.id, 1, 9);
    study.report(bad!.id, 0, 100);
    study.report(bad!.id, 1, 12);
    expect(study.shouldPrune(good!.id)).toBe(false);
    expect(study.shouldPrune(bad!.id)).toBe(true);
    study.tellPruned(bad!.id);
    expect(study.trials()[bad!.id]!.state).toBe("pruned");
    expect(() => study.report(good!.id, 1, 3)).toThrow(/steps must increase/);
  });
});

describe("quality on Branin (seeds 1 to 5, 30 evaluations in batches of 5)", () => {
  const medianRegret = (sampler: () => Sampler): number => {
    const regrets = [1, 2, 3, 4, 5].map((seed) => {
      const study = createStudy({ space: branin.space, objective, sampler: sampler(), seed });
      for (let i = 0; i < 6; i++) for (const a of study.ask(5)) study.tell(a.id, branin.evaluate(a.params));
      return study.best()!.value - branin.minimum;
    });
    return regrets.sort((a, b) => a - b)[2]!;
  };

  it("GP and TPE find lower regret than random search on the same budget", () => {
    const random = medianRegret(randomSampler);
    expect(medianRegret(() => gpSampler({ candidates: 300 }))).toBeLessThan(random / 10);
    expect(medianRegret(() => tpeSampler())).toBeLessThan(random);
  }, 60_000);
});

describe("samplers", () => {
  it("gives every sampler's proposals inside the space for random histories", () => {
    for (const name of Object.keys(samplers)) {
      const r = new SeededRandom(9);
      const study = createStudy({ space, objective, sampler: samplers[name]!(), seed: 2 });
      for (let i = 0; i < 4; i++) for (const a of study.ask(2)) study.tell(a.id, r.uniform() * 10);
      for (const a of study.ask(3)) expect(() => study.space.check(a.params)).not.toThrow();
    }
  });
});

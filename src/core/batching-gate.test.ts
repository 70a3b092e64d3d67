import { describe, expect, it } from "vitest";
import { BatchingGate } from "./batching-gate.js";

const turn = () => new Promise((r) => setImmediate(r));

/** A gate whose batches run until released, recording each batch's items. */
function gate(limit: number, maxWeight: number) {
  const batches: string[][] = [];
  const releases: Array<() => void> = [];
  const g = new BatchingGate<string, string>(
    limit,
    maxWeight,
    (item) => item[0]!,
    (item) => item.length,
    async (items) => {
      batches.push([...items]);
      await new Promise<void>((r) => releases.push(r));
      if (items.includes("bad")) throw new Error("batch failed");
      return items.map((i) => i.toUpperCase());
    },
  );
  return { g, batches, release: (i: number) => releases[i]!() };
}

describe("BatchingGate", () => {
  it("runs at most `limit` batches at once, and the next turn takes the items that waited together, in order", async () => {
    const { g, batches, release } = gate(1, 100);
    const results = ["a1", "a2", "a3", "a4"].map((i) => g.run(i));
    await turn();
    expect(batches).toEqual([["a1"]]);
    expect(g.load).toEqual({ running: 1, waiting: 3 });
    release(0);
    await turn();
    expect(batches).toEqual([["a1"], ["a2", "a3", "a4"]]);
    release(1);
    expect(await Promise.all(results)).toEqual(["A1", "A2", "A3", "A4"]);
    expect(g.load).toEqual({ running: 0, waiting: 0 });
  });

  it("batches only items of one key, up to the weight, and lets a heavier item go alone", async () => {
    const { g, batches, release } = gate(1, 6);
    const results = ["a1", "a2", "b1", "a3", "a4", "a5", "aaaaaaaaa"].map((i) => g.run(i));
    await turn();
    release(0);
    await turn();
    expect(batches[1]).toEqual(["a2", "a3", "a4"]);
    release(1);
    await turn();
    expect(batches[2]).toEqual(["b1"]);
    release(2);
    await turn();
    expect(batches[3]).toEqual(["a5"]);
    release(3);
    await turn();
    expect(batches[4]).toEqual(["aaaaaaaaa"]);
    release(4);
    expect(await Promise.all(results)).toHaveLength(7);
  });

  it("fails every item of a failed batch, and goes on with the next", async () => {
    const { g, release } = gate(1, 100);
    const first = g.run("x");
    const failing = [g.run("bad"), g.run("bcd")];
    const after = g.run("c");
    await turn();
    release(0);
    await turn();
    release(1);
    for (const f of failing) await expect(f).rejects.toThrow("batch failed");
    await turn();
    release(2);
    expect([await first, await after]).toEqual(["X", "C"]);
  });

  it("with a gathering step, puts the items that arrive before it ends in one batch, even with turns free", async () => {
    const batches: string[][] = [];
    let gathered: (() => void) | undefined;
    const g = new BatchingGate<string, string>(4, 100, () => "k", () => 1, async (items) => (batches.push([...items]), items.map((i) => i.toUpperCase())), (then) => (gathered = then));
    const results = ["a", "b", "c"].map((i) => g.run(i));
    await turn();
    expect(batches).toEqual([]);
    gathered!();
    expect(await Promise.all(results)).toEqual(["A", "B", "C"]);
    expect(batches).toEqual([["a", "b", "c"]]);
  });

  it("refuses a limit that is not a whole number of at least 1", () => {
    expect(() => new BatchingGate(0, 1, String, () => 1, async () => [])).toThrow(/whole number ≥ 1, not 0/);
  });
});

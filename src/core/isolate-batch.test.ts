import { describe, expect, it } from "vitest";
import { applyIsolating } from "./isolate-batch.js";

describe("applyIsolating", () => {
  const poison = (bad: ReadonlySet<number>, calls: number[][]) => async (part: readonly number[]) => {
    calls.push([...part]);
    if (part.some((u) => bad.has(u))) throw new Error(`cannot store ${part.filter((u) => bad.has(u)).join(",")}`);
    return part.length;
  };

  it("applies a good batch in one go", async () => {
    const calls: number[][] = [];
    expect(await applyIsolating([1, 2, 3], poison(new Set(), calls), async () => -1)).toEqual([3]);
    expect(calls).toHaveLength(1);
  });

  it("applies every update but the bad ones, which go to the fallback with the error", async () => {
    const calls: number[][] = [];
    const fell: string[] = [];
    const updates = Array.from({ length: 1000 }, (_, i) => i);
    const results = await applyIsolating(updates, poison(new Set([3, 700]), calls), async (u, err) => {
      fell.push(`${u}: ${(err as Error).message}`);
      return 0;
    });
    expect(fell).toEqual(["3: cannot store 3", "700: cannot store 700"]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(998);
    // A bad update costs a few applies per halving, never one apply per update.
    expect(calls.length).toBeLessThan(2 * 2 * Math.ceil(Math.log2(1000)) + 2);
  });

  it("throws when even the fallback fails: the store is down, no update is to blame", async () => {
    const down = async () => {
      throw new Error("connection refused");
    };
    await expect(applyIsolating([1, 2], down, down)).rejects.toThrow("connection refused");
  });
});

import { describe, expect, it } from "vitest";
import { CoalescedWrites } from "./coalesced-writes.js";

const turn = () => new Promise((r) => setImmediate(r));

describe("CoalescedWrites", () => {
  it("writes a lone item at once, and everything added during a write in the next one", async () => {
    const writes: number[][] = [];
    const commits: Array<() => void> = [];
    const w = new CoalescedWrites<number>((items) => {
      writes.push([...items]);
      return new Promise((r) => commits.push(r));
    });
    const first = w.add(1);
    await turn();
    expect(writes).toEqual([[1]]);
    const rest = [2, 3, 4].map((i) => w.add(i));
    await turn();
    expect(writes).toEqual([[1]]);
    commits.shift()!();
    await first;
    await turn();
    expect(writes).toEqual([[1], [2, 3, 4]]);
    commits.shift()!();
    await Promise.all(rest);
  });

  it("rejects the adds of a failed write only, and goes on with the next", async () => {
    let fail = true;
    const w = new CoalescedWrites<number>(async () => {
      await turn();
      if (fail) {
        fail = false;
        throw new Error("database unreachable");
      }
    });
    const failed = w.add(1);
    const next = w.add(2);
    await expect(failed).rejects.toThrow("database unreachable");
    await expect(next).resolves.toBeUndefined();
  });
});

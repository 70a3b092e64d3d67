import { describe, expect, it } from "vitest";
import type { Held, HeldCount } from "../store/held-store.js";
import type { ServerContext } from "./context.js";
import { HeldReads } from "./held-reads.js";

/** A store whose reads of what pilots hold wait until the test lets them answer; each pilot holds its id in jobs. */
function reads(maxConcurrentHeldReads: number) {
  const asked: Array<[string, number[]]> = [];
  const pending: Array<() => void> = [];
  const answer = <R>(kind: string, of: (p: number) => R) => (pilots: readonly number[]) => {
    asked.push([kind, [...pilots]]);
    return new Promise<Map<number, R>>((resolve) => pending.push(() => resolve(new Map(pilots.map((p) => [p, of(p)])))));
  };
  const store = {
    held: {
      heldBy: answer<Held>("attempts", (p) => ({ count: p, commands: [], refs: [] })),
      heldCountsOf: answer<HeldCount>("counts", (p) => ({ count: p, commands: [] })),
    },
  };
  const held = new HeldReads({ store, config: { maxConcurrentHeldReads } } as unknown as ServerContext);
  return { held, asked, pending };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("HeldReads", () => {
  it("reads a pilot at once while a turn is free, and the pilots asked for meanwhile together, each answered its own", async () => {
    const { held, asked, pending } = reads(1);
    const first = held.of(1);
    const waiting = [held.of(2), held.of(3), held.of(2)];
    await turn();
    expect(asked).toEqual([["attempts", [1]]]);
    pending.shift()!();
    expect((await first).count).toBe(1);
    await turn();
    expect(asked).toEqual([
      ["attempts", [1]],
      ["attempts", [2, 3]],
    ]);
    pending.shift()!();
    expect((await Promise.all(waiting)).map((h) => h.count)).toEqual([2, 3, 2]);
  });

  it("keeps the reads of attempts and of counts apart, each with its own turns", async () => {
    const { held, asked, pending } = reads(1);
    const answers = [held.of(5), held.countOf(6)];
    await turn();
    expect(asked).toEqual([
      ["attempts", [5]],
      ["counts", [6]],
    ]);
    pending.forEach((go) => go());
    expect((await Promise.all(answers)).map((h) => h.count)).toEqual([5, 6]);
  });
});

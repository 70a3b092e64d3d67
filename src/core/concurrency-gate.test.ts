import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "./concurrency-gate.js";

/** A call that runs until its `finish` is called, recording when it started. */
function pending(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return {
    call: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    finish,
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("ConcurrencyGate", () => {
  it("runs at most `limit` calls at once and starts the others in arrival order as turns free", async () => {
    const gate = new ConcurrencyGate(2);
    const log: string[] = [];
    const calls = ["a", "b", "c", "d"].map((n) => pending(log, n));
    const results = calls.map((c) => gate.run(c.call));
    await turn();
    expect(log).toEqual(["start a", "start b"]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });
    calls[1]!.finish();
    await turn();
    expect(log).toEqual(["start a", "start b", "end b", "start c"]);
    calls[0]!.finish();
    calls[2]!.finish();
    calls[3]!.finish();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("passes a failed call's turn on and rethrows its error", async () => {
    const gate = new ConcurrencyGate(1);
    const failing = gate.run(() => Promise.reject(new Error("store failed")));
    const next = gate.run(() => Promise.resolve("next"));
    await expect(failing).rejects.toThrow("store failed");
    expect(await next).toBe("next");
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("refuses a limit that lets nothing run", () => {
    expect(() => new ConcurrencyGate(0)).toThrow(/whole number ≥ 1, not 0/);
  });
});

import { describe, expect, it } from "vitest";
import { formatTimings, RunTimings } from "./run-timings.js";

describe("formatTimings", () => {
  it("lists each process's steps at their time since the run started and what each took", () => {
    const text = formatTimings(
      1000,
      [
        { step: "node started", at: 1000 },
        { step: "CLI loaded", at: 1150.4 },
      ],
      new Map([["local-1", [{ step: "registered", at: 1400 }, { step: "spawned", at: 1200 }]]]),
      [{ pilot: "local-1", startup: { spawned: 1500, processStarted: 1540, loaded: 1600, bundleImported: 1620, ready: 1621 } }],
    );
    expect(text.split("\n")).toEqual([
      "timings: ms since `pando run` started, +ms since the step before",
      "  this process",
      "         0         node started",
      "       150   +150  CLI loaded",
      "  pilot local-1",
      "       200         spawned",
      "       400   +200  registered",
      "  executor 1 (pilot local-1)",
      "       500         spawned by its pilot",
      "       540    +40  node started (sandbox set up, node booted)",
      "       600    +60  executor modules loaded",
      "       620    +20  bundle imported",
      "       621     +1  ready (its pilot heard)",
      "",
    ]);
  });
});

describe("RunTimings", () => {
  it("keeps nothing when the run did not ask for timings", () => {
    const t = new RunTimings(false);
    t.mark("bundle built");
    t.fromPilot("local-1", { kind: "pilot", step: "loaded", at: 1 });
    expect(t.report()).not.toMatch(/bundle built|local-1/);
  });

  it("adds this process's steps and the pilots' in the order they come", () => {
    const t = new RunTimings(true);
    t.mark("bundle built");
    t.fromPilot("local-2", { kind: "pilot", step: "loaded", at: performance.timeOrigin + 5 });
    expect(t.report()).toMatch(/this process\n\s+0\s+node started\n\s+\d+\s+\+\d+\s+bundle built\n\s+pilot local-2\n\s+5\s+loaded\n$/);
  });
});

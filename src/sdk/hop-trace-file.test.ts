import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { flushHops, hop, stopHopTrace, tracingHops } from "../core/hop-trace.js";
import { traceHopsFromEnv, type ClockLine, type HopLine } from "./hop-trace-file.js";

describe("the hop trace's file sink", () => {
  const dirs: string[] = [];
  afterEach(() => {
    stopHopTrace();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("stays off without PANDO_TRACE_HOPS", () => {
    traceHopsFromEnv("server", {});
    expect(tracingHops()).toBe(false);
  });

  it("writes one NDJSON line per hop to <dir>/<role>-<pid>.ndjson", () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-hops-test-"));
    dirs.push(dir);
    traceHopsFromEnv("pilot", { PANDO_TRACE_HOPS: join(dir, "trace") });
    hop("pilot.received", 4, 9, 2);
    hop("pilot.result", 4, 9, 2);
    flushHops();
    expect(readdirSync(join(dir, "trace"))).toEqual([`pilot-${process.pid}.ndjson`]);
    const [first, ...rest] = readFileSync(join(dir, "trace", `pilot-${process.pid}.ndjson`), "utf8").trim().split("\n");
    const clock = (JSON.parse(first!) as ClockLine).clock;
    expect(Math.abs(clock.t - Date.now())).toBeLessThan(1000);
    expect(clock.monotonicUs).toBeGreaterThan(0);
    const lines = rest.map((l) => JSON.parse(l) as HopLine);
    expect(lines.map((l) => [l.role, l.pid, l.hop, l.task, l.job, l.attempt])).toEqual([
      ["pilot", process.pid, "pilot.received", 4, 9, 2],
      ["pilot", process.pid, "pilot.result", 4, 9, 2],
    ]);
    expect(lines[1]!.t).toBeGreaterThanOrEqual(lines[0]!.t);
  });
});

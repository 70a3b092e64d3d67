import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { HopLine } from "../src/sdk/hop-trace-file.js";
import { runDriver } from "./helpers/cluster.js";

/** Every hop a job crosses whichever way its result travels (REST or the suite's broker). */
const EVERY_JOB = ["server.handed", "pilot.received", "pilot.to_executor", "executor.start", "executor.end", "pilot.result", "server.report_received", "server.applied", "driver.woken", "driver.decoded"];
const EVERY_TASK = ["driver.call", "driver.submit_sent", "server.submit_received", "server.recorded", "driver.submit_answered"];

describe("the hop trace (PANDO_TRACE_HOPS)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    delete process.env.PANDO_TRACE_HOPS;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("has the run, its server and its pilots write every hop of every job, each process to its own file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-hop-trace-"));
    dirs.push(dir);
    process.env.PANDO_TRACE_HOPS = join(dir, "trace");
    const r = await runDriver("examples/hello/hello.ts#hello", ["3"], { dataDir: join(dir, "data"), extra: ["--pilot-processes"] });
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(join(dir, "trace"));
    expect(files.some((f) => /^run-\d+\.ndjson$/.test(f))).toBe(true);
    expect(files.some((f) => /^pilot-\d+\.ndjson$/.test(f))).toBe(true);
    const lines = files.flatMap((f) =>
      readFileSync(join(dir, "trace", f), "utf8").trim().split("\n").map((l) => JSON.parse(l) as HopLine),
    ).filter((l) => l.hop !== undefined);
    // Two tasks: greet (one job) and square (three jobs).
    const tasks = new Set(lines.filter((l) => l.hop === "server.recorded").map((l) => l.task));
    expect(tasks.size).toBe(2);
    for (const task of tasks) {
      for (const hop of EVERY_TASK) expect(lines.filter((l) => l.task === task && l.hop === hop), `${hop} of task ${task}`).toHaveLength(1);
    }
    const jobs = new Set(lines.filter((l) => l.hop === "server.handed").map((l) => l.job));
    expect(jobs.size).toBe(4);
    for (const job of jobs) {
      for (const hop of EVERY_JOB) {
        const found = lines.filter((l) => l.job === job && l.hop === hop);
        expect(found, `${hop} of job ${job}`).toHaveLength(1);
        expect(found[0]!.attempt).toBe(1);
      }
      // Hops in one process follow each other in its own clock.
      const at = (hop: string) => lines.find((l) => l.job === job && l.hop === hop)!.t;
      expect(at("pilot.received")).toBeLessThanOrEqual(at("pilot.to_executor"));
      expect(at("pilot.to_executor")).toBeLessThanOrEqual(at("pilot.result"));
      expect(at("executor.start")).toBeLessThanOrEqual(at("executor.end"));
      expect(at("server.handed")).toBeLessThanOrEqual(at("server.applied"));
      expect(at("driver.woken")).toBeLessThanOrEqual(at("driver.decoded"));
    }
  });

  it("writes nothing when it is not set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-hop-trace-"));
    dirs.push(dir);
    const r = await runDriver("examples/hello/hello.ts#hello", ["2"], { dataDir: join(dir, "data") });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(["data"]);
  });
});

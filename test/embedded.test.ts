import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runDriver } from "./helpers/cluster.js";

describe("the embedded default: pando run with no server", () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), "pando-embedded-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("runs the hello example with its own server and local pilots, and shuts down", async () => {
    const r = await runDriver("examples/hello/hello.ts#hello", ["4"], { dataDir: dataDir() });
    expect(r.stderr).toMatch(/workflow 1 \(hello\) started/);
    expect(r.stderr).toMatch(/task 2 square: 4\/4 jobs finished, 0 failed/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ one: "hello, world!", squares: [0, 1, 4, 9], sum: 14 });
  });

  it("--timings prints the steps of this process, of each local pilot process and of each executor on stderr, and the result alone on stdout", async () => {
    const r = await runDriver("examples/hello/hello.ts#hello", ["2"], { dataDir: dataDir(), extra: ["--timings", "--pilot-processes", "--pilots", "2", "--slots", "1"] });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ one: "hello, world!", squares: [0, 1], sum: 1 });
    const report = r.stderr.slice(r.stderr.indexOf("timings: "));
    for (const step of ["CLI loaded", "local pilots spawned", "bundle (built|from the build cache)", "server: listening", "project shipped", "local pilots warm", "workflow ended", "stopped"]) {
      expect(report).toMatch(new RegExp(`\\n\\s+\\d+\\s+\\+\\d+\\s+${step}\\n`));
    }
    for (const pilot of ["local-1", "local-2"]) expect(report).toMatch(new RegExp(`pilot ${pilot}\\n(.+\\n)*?\\s+\\d+\\s+\\+\\d+\\s+registered\\n`));
    // Warmed before the driver ran: each pilot's executor is in the report, from its spawn to its bundle.
    expect(report.match(/executor \d \(pilot local-\d\)\n(.+\n){4}\s+\d+\s+\+\d+\s+ready/g)).toHaveLength(2);
  });

  it("keeps the pilots in the run's process, each with its log file and executors of its own", async () => {
    const dir = dataDir();
    const r = await runDriver("examples/hello/hello.ts#hello", ["3"], { dataDir: dir, extra: ["--timings", "--pilots", "2", "--slots", "1"], logLevel: "info" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ one: "hello, world!", squares: [0, 1, 4], sum: 5 });
    const report = r.stderr.slice(r.stderr.indexOf("timings: "));
    for (const pilot of ["local-1", "local-2"]) {
      // No process of its own: the pilot's first step is its registration.
      expect(report).toMatch(new RegExp(`pilot ${pilot}\\n\\s+\\d+\\s+registered\\n`));
      expect(existsSync(join(dir, "logs", `pilot-${pilot.slice(-1)}.log`))).toBe(true);
    }
    expect(report.match(/executor \d \(pilot local-\d\)\n(.+\n){4}\s+\d+\s+\+\d+\s+ready/g)).toHaveLength(2);
    // The run unpacked its project into the pilots' code cache while the server started: no pilot fetched it.
    const projects = readdirSync(join(dir, "cache", "projects")).filter((e) => /^[0-9a-f]{64}$/.test(e));
    expect(projects).toHaveLength(1);
    // Its files are links to the copies of the user's store that runs in every data directory share.
    const file = join(dir, "cache", "projects", projects[0]!, "package.json");
    const stored = join(process.env.PANDO_BUILD_CACHE!, "files", createHash("sha256").update(readFileSync(file)).digest("hex"));
    expect(statSync(file).ino).toBe(statSync(stored).ino);
    for (const n of [1, 2]) {
      const log = readFileSync(join(dir, "logs", `pilot-${n}.log`), "utf8");
      expect(log).toMatch(/"msg":"pilot registered"/);
      expect(log).not.toMatch(/project archive fetched and unpacked/);
    }

    // Again: the bundle and the project are at hand at once, and each pilot takes the executor its run started
    // for the program while the server was starting, rather than one it starts when told to warm.
    const logged = [1, 2].map((n) => readFileSync(join(dir, "logs", `pilot-${n}.log`), "utf8").length);
    const again = await runDriver("examples/hello/hello.ts#hello", ["3"], { dataDir: dir, extra: ["--timings", "--pilots", "2", "--slots", "1"], logLevel: "info" });
    expect(again.code, again.stderr).toBe(0);
    expect(again.value).toEqual({ one: "hello, world!", squares: [0, 1, 4], sum: 5 });
    for (const n of [1, 2]) {
      const log = readFileSync(join(dir, "logs", `pilot-${n}.log`), "utf8").slice(logged[n - 1]);
      expect(log.match(/"executors":1,"msg":"takes the executors its run prewarmed"/g), log).toHaveLength(1);
    }
    const steps = again.stderr.slice(again.stderr.indexOf("timings: "));
    expect(steps.match(/executor \d \(pilot local-\d\)\n(.+\n){4}\s+\d+\s+\+\d+\s+ready/g)).toHaveLength(2);
  });

  it("runs the HPO example: each iteration is one task of its points, and the forest's AUC is sensible", async () => {
    // 2 iterations × 4 points, seed 1, Bayesian optimisation, 400 training events.
    const r = await runDriver("examples/hpo/hpo.ts#optimize", ["2", "4", "1", "bayes", "400"], { dataDir: dataDir() });
    expect(r.code, r.stderr).toBe(0);
    const v = r.value as {
      strategy: string;
      evaluations: number;
      bestAuc: number;
      bestParams: Record<string, number>;
      history: Array<{ iteration: number; taskId: number; bestSoFar: number }>;
    };
    expect(v.strategy).toBe("bayes");
    expect(v.evaluations).toBe(8);
    expect(v.history.map((h) => h.taskId)).toEqual([1, 2]);
    expect(r.stderr).toMatch(/task 1 hpo\.evaluate: 4\/4 jobs finished, 0 failed/);
    expect(r.stderr).toMatch(/task 2 hpo\.evaluate: 4\/4 jobs finished, 0 failed/);
    // A good forest on these events scores about 0.86; poor hyperparameters go down to 0.55.
    expect(v.bestAuc).toBeGreaterThan(0.83);
    expect(v.bestAuc).toBeLessThan(0.95);
    expect(v.history[1]!.bestSoFar).toBeGreaterThanOrEqual(v.history[0]!.bestSoFar);
    expect(Object.keys(v.bestParams).sort()).toEqual(["maxDepth", "maxFeatures", "minNumSamples", "nEstimators"]);
  });

  it("runs a script whose top-level code calls its workflow, without re-running it on the workers", async () => {
    const dir = dataDir();
    const marker = join(dir, "driver-runs");
    process.env.PANDO_TEST_MARKER = marker;
    try {
      const r = await runDriver("test/fixtures/script.ts", [], { dataDir: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("doubled: [2,4,6]");
    } finally {
      delete process.env.PANDO_TEST_MARKER;
    }
    expect(readFileSync(marker, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("ends with a clear error instead of hanging when every local pilot process has died", async () => {
    // Its jobs kill their own pilot, which only jobs outside the sandbox can see.
    process.env.PANDO_SANDBOX = "none";
    const run = runDriver("test/fixtures/core.ts#pilotKiller", [], { dataDir: dataDir(), extra: ["--pilot-processes", "--pilots", "2"] });
    delete process.env.PANDO_SANDBOX;
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/every local pilot exited/);
    expect(r.stderr).toMatch(/workflow 1 cancelled/);
  });

  it.each([["pilots in process", []], ["pilot processes", ["--pilot-processes"]]])("ends with the pilots' reason when they all die while starting, before the workflow does (%s)", async (_mode, flags) => {
    // Told to sandbox every job with a bubblewrap that does not exist, each pilot refuses to start.
    process.env.PANDO_SANDBOX = "bwrap";
    process.env.PANDO_SANDBOX_BWRAP = "/nonexistent/bwrap";
    const run = runDriver("examples/hello/hello.ts#hello", ["2"], { dataDir: dataDir(), extra: ["--pilots", "2", ...flags] });
    delete process.env.PANDO_SANDBOX;
    delete process.env.PANDO_SANDBOX_BWRAP;
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/every local pilot (exited|stopped)/);
    expect(r.stderr).toMatch(/\/nonexistent\/bwrap could not be run/);
    expect(r.stderr).toMatch(/workflow 1 cancelled/);
  });
});

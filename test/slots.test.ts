// `--slots` promises jobs at once: the jobs of a task start on distinct executors, side by side, whatever
// ran before, on one pilot and across pilots; and a pilot's executors are warm before the first job is due.
// Each job waits at a barrier until all of its task's jobs have arrived, so a task only ends if they really
// ran at once; a job that waited behind another fails its barrier with a message saying so.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SideBySide, TaskRun } from "./fixtures/slots.js";
import { runDriver, startCluster, type Cluster, type DriverResult } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const TARGET = "test/fixtures/slots.ts#sideBySide";

let barriers: string;
beforeAll(() => {
  barriers = mkdtempSync(join(tmpdir(), "pando-slots-"));
});
afterAll(() => rmSync(barriers, { recursive: true, force: true }));

let runs = 0;
const shape = (o: Omit<SideBySide, "dir">): string => JSON.stringify({ ...o, dir: join(barriers, `run-${++runs}`) });

/** Every task ran its n jobs at once, on n distinct executors spread over `pilots` pilots. */
function expectSideBySide(r: DriverResult, tasks: number, n: number, pilots: number): TaskRun[] {
  expect(r.code, r.stderr).toBe(0);
  const runs = r.value as TaskRun[];
  expect(runs).toHaveLength(tasks);
  for (const t of runs) {
    expect(new Set(t.ran.map((x) => x.pid)).size).toBe(n);
    expect(new Set(t.ran.map((x) => x.pilotPid)).size).toBe(pilots);
  }
  return runs;
}

describe.each([
  { pilots: 2, slots: 3 },
  { pilots: 1, slots: 4 },
])("$pilots pilot(s) × $slots slots", ({ pilots, slots }) => {
  const n = pilots * slots;
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ pilots, slots });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  const run = (o: Omit<SideBySide, "dir">) =>
    runDriver(TARGET, [shape(o)], { url: cluster.url, token: cluster.credentials.userToken });

  it("runs the first task of a workflow side by side, and the next ones", async () => {
    expectSideBySide(await run({ n, tasks: 2, fast: "none" }), 2, n, pilots);
  });

  it("runs a task side by side after a task of very fast jobs of another work", async () => {
    expectSideBySide(await run({ n, tasks: 2, fast: "other" }), 2, n, pilots);
  });

  it("runs a task side by side after a task of very fast jobs of the same work", async () => {
    expectSideBySide(await run({ n, tasks: 2, fast: "same" }), 2, n, pilots);
  });
});

describe("warm executors", () => {
  /** Runs one task of `n` jobs on a cluster whose driver pauses before it; when did its executors start? */
  /**
   * Runs one task of `n` jobs on a cluster whose driver, once its workflow started, waits before the task:
   * until every pilot says its executors are warm, or (`pauseMs`) for a while. When did its executors start?
   */
  async function firstTaskAfter(wait: { untilWarm: true } | { pauseMs: number }, pilots: number, slots: number, serverArgs: string[] = []) {
    // The pilots log at info level, where they say when their executors are warm.
    const cluster = await startCluster({ pilots, slots, serverArgs, env: { PANDO_LOG_LEVEL: "info" } });
    try {
      const gate = join(barriers, `gate-${++runs}`);
      const o = "pauseMs" in wait ? { pauseMs: wait.pauseMs } : { gate };
      const driver = runDriver(TARGET, [shape({ n: pilots * slots, tasks: 1, fast: "none", ...o })], { url: cluster.url, token: cluster.credentials.userToken });
      if ("untilWarm" in wait) {
        await until("every pilot to say its executors are warm", () => (cluster.pilots.every((p) => /executors warm/.test(p.output())) ? true : undefined), 60_000);
        writeFileSync(gate, "");
      }
      return expectSideBySide(await driver, 1, pilots * slots, pilots)[0]!;
    } finally {
      await cluster.stop();
    }
  }

  it("has the queue's pilots start executors for a workflow as it starts, before its first task", async () => {
    const first = await firstTaskAfter({ untilWarm: true }, 2, 2);
    for (const x of first.ran) expect(x.executorStartedAt).toBeLessThan(first.submittedAt);
  });

  it("--warm-keep 0: pilots are not told, and start executors only when the jobs come", async () => {
    // A pause, since nothing comes to wait for: executors that started meanwhile would have been warmed.
    const first = await firstTaskAfter({ pauseMs: 2000 }, 1, 2, ["--warm-keep", "0"]);
    for (const x of first.ran) expect(x.executorStartedAt).toBeGreaterThan(first.submittedAt);
  });

  it("pando run --warm-wait 0 runs the driver without waiting for executors", async () => {
    const r = await runDriver(TARGET, [shape({ n: 2, tasks: 1, fast: "none" })], { extra: ["--pilots", "1", "--slots", "2", "--warm-wait", "0"] });
    expect(r.code, r.stderr).toBe(0);
  });

  it("pando run starts its local pilots' executors before the driver runs", async () => {
    // Pilot processes: each job says which pilot ran it by its pilot's process id.
    const r = await runDriver(TARGET, [shape({ n: 4, tasks: 1, fast: "none" })], { extra: ["--pilot-processes", "--pilots", "2", "--slots", "2"] });
    const [first] = expectSideBySide(r, 1, 4, 2);
    for (const x of first!.ran) expect(x.executorStartedAt).toBeLessThan(first!.submittedAt);
  });
});

describe("a 2-slot pilot", () => {
  it("runs two long jobs at once after very fast ones (pando run)", async () => {
    const r = await runDriver(TARGET, [shape({ n: 2, tasks: 2, fast: "same" })], { extra: ["--pilots", "1", "--slots", "2"] });
    expectSideBySide(r, 2, 2, 1);
  });
});

// A pilot's executor pool is sized to its work, not only to its slots: told to warm a context, a many-slot
// pilot starts only its warm count of executors (--warm-executors); a burst of jobs starts the others, up to
// the slots, side by side; and those beyond the warm count that then run nothing for --executor-idle end,
// giving their memory back, while later jobs still find executors.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SideBySide, TaskRun } from "./fixtures/slots.js";
import { runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const TARGET = "test/fixtures/slots.ts#sideBySide";
const SLOTS = 6;
const WARM = 2;

/** The processes a process started and that are still there (a pilot's: its executors). */
function children(pid: number): number[] {
  const found: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
    if (listed) found.push(...listed.split(" ").map(Number));
  }
  return found;
}

describe("a pilot's executor pool, sized to its work", () => {
  let cluster: Cluster;
  let barriers: string;
  let runs = 0;
  beforeAll(async () => {
    barriers = mkdtempSync(join(tmpdir(), "pando-pool-"));
    // At info level the pilot says when its executors are warm.
    cluster = await startCluster({ pilots: 1, slots: SLOTS, env: { PANDO_WARM_EXECUTORS: String(WARM), PANDO_EXECUTOR_IDLE: "1s", PANDO_LOG_LEVEL: "info" } });
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(barriers, { recursive: true, force: true });
  });

  /** One task of SLOTS jobs that must all run at once, submitted once the pilot has said `warmings` times that it is warm. */
  async function burst(warmings: number): Promise<TaskRun> {
    const gate = join(barriers, `gate-${++runs}`);
    const shape: SideBySide = { dir: join(barriers, `run-${runs}`), n: SLOTS, tasks: 1, fast: "none", gate };
    const driver = runDriver(TARGET, [JSON.stringify(shape)], { url: cluster.url, token: cluster.credentials.userToken });
    await until("the pilot to say its executors are warm", () => ((cluster.pilots[0]!.output().match(/executors warm/g) ?? []).length >= warmings ? true : undefined), 60_000);
    writeFileSync(gate, "");
    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    const [task] = r.value as TaskRun[];
    expect(new Set(task!.ran.map((x) => x.pid)).size).toBe(SLOTS);
    return task!;
  }

  it("warms only its warm count, grows to its slots for a burst, and retires the extras once idle", async () => {
    const pilot = cluster.pilots[0]!.proc.pid!;
    const first = await burst(1);
    // Warmed before the task: WARM executors only; the burst started the others when its jobs came.
    expect(first.ran.filter((x) => x.executorStartedAt < first.submittedAt)).toHaveLength(WARM);
    expect(first.ran.filter((x) => x.executorStartedAt > first.submittedAt)).toHaveLength(SLOTS - WARM);
    // Idle for --executor-idle, the executors beyond the warm count end.
    await vi.waitFor(() => expect(children(pilot)).toHaveLength(WARM), { timeout: 30_000, interval: 200 });

    // A burst after the retirement runs side by side again: no job waits for an executor that ended.
    // The warm executors are there already: nothing more to wait for before the task.
    const second = await burst(0);
    expect(second.ran.filter((x) => x.executorStartedAt > second.submittedAt)).toHaveLength(SLOTS - WARM);
    await vi.waitFor(() => expect(children(pilot)).toHaveLength(WARM), { timeout: 30_000, interval: 200 });
  });
});

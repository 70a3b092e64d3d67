import { describe, expect, it, vi } from "vitest";
import type { DispatchedJob } from "../core/dispatch-records.js";
import { dispatchedJob } from "./dispatched-job.fixture.js";
import { contextKey } from "./execution-context.js";
import type { PoolEvents } from "./executor-interface.js";
import { ExecutorPool } from "./executor-pool.js";
import { inProcessExecutors, type InProcessExecutor } from "./in-process-executor.js";
import { PrewarmedExecutor } from "./prewarmed-executor.js";
import type { Outcome } from "./ledger.js";

function job(jobId: number, fields: Partial<DispatchedJob> = {}): DispatchedJob {
  return dispatchedJob(jobId, { bundleHash: "b1", ...fields });
}

/** What the pool told its pilot, by job id. */
class Heard implements PoolEvents {
  readonly outcomes = new Map<number, Outcome>();
  readonly abandonedJobs: number[] = [];
  readonly returnedJobs: number[] = [];
  readonly startedJobs: number[] = [];
  readonly sentJobs: number[] = [];
  readonly warmBundles: string[] = [];
  sent(jobs: readonly DispatchedJob[]): void {
    this.sentJobs.push(...jobs.map((j) => j.jobId));
  }
  started(job: DispatchedJob): void {
    if (!this.startedJobs.includes(job.jobId)) this.startedJobs.push(job.jobId);
  }
  returned(job: DispatchedJob): void {
    this.returnedJobs.push(job.jobId);
  }
  ended(job: DispatchedJob, outcome: Outcome): void {
    expect(this.outcomes.has(job.jobId), `job ${job.jobId} ended twice`).toBe(false);
    this.outcomes.set(job.jobId, outcome);
  }
  abandoned(job: DispatchedJob): void {
    this.abandonedJobs.push(job.jobId);
  }
  warm(bundleHash: string): void {
    this.warmBundles.push(bundleHash);
  }
}

/** A job's run that ends when the test says. */
function gate() {
  let open!: (value: unknown) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<unknown>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

function setup(options: { slots: number; warmReplacesIdleMs?: number; warmExecutors?: number; executorIdleMs?: number; failingBundles?: string[] }) {
  const heard = new Heard();
  const executors: InProcessExecutor[] = [];
  /** Jobs that run until their gate opens; the others return their id times ten at once. */
  const gates = new Map<number, ReturnType<typeof gate>>();
  const works = {
    run: (j: DispatchedJob) => gates.get(j.jobId)?.promise ?? Promise.resolve(j.jobId * 10),
    load: async (context: { bundleHash: string }) => {
      if (options.failingBundles?.includes(context.bundleHash)) throw new Error(`cannot import ${context.bundleHash}`);
    },
  };
  const start = inProcessExecutors(works, executors);
  const pool = new ExecutorPool({
    slots: options.slots,
    maxDepthPerSlot: 1000,
    warmReplacesIdleMs: options.warmReplacesIdleMs ?? 5_000,
    warmExecutors: options.warmExecutors ?? 16,
    executorIdleMs: options.executorIdleMs ?? 60_000,
    start,
    events: heard,
  });
  const blocked = (jobId: number) => {
    const g = gate();
    gates.set(jobId, g);
    return g;
  };
  return { pool, heard, executors, blocked, start };
}

/** Runs jobs of task 1 until the pool knows them to be fast: later ones queue behind busy executors. */
async function learnFast(pool: ExecutorPool, heard: Heard, ids: number[]): Promise<void> {
  for (const id of ids) pool.enqueue(job(id));
  pool.dispatch();
  await vi.waitFor(() => expect(ids.every((id) => heard.outcomes.has(id))).toBe(true));
}

describe("ExecutorPool", () => {
  it("starts an executor per waiting job in the free slots, no more, and reports every job's outcome", async () => {
    const { pool, heard, executors } = setup({ slots: 2 });
    for (const id of [1, 2, 3]) pool.enqueue(job(id));
    pool.dispatch();
    expect(executors).toHaveLength(2);
    await vi.waitFor(() => expect(heard.outcomes.size).toBe(3));
    expect(executors).toHaveLength(2);
    expect(heard.outcomes.get(1)).toMatchObject({ state: "finished", result: "10" });
    expect(heard.outcomes.get(3)).toMatchObject({ state: "finished", result: "30" });
    expect(heard.sentJobs.sort()).toEqual([1, 2, 3]);
    expect(heard.startedJobs.sort()).toEqual([1, 2, 3]);
  });

  it("reports a job whose function throws as failed, and keeps its executor for the next job", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    const g = blocked(1);
    pool.enqueue(job(1));
    pool.enqueue(job(2));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.startedJobs).toEqual([1]));
    g.fail(new Error("bad point"));
    await vi.waitFor(() => expect(heard.outcomes.size).toBe(2));
    expect(heard.outcomes.get(1)).toMatchObject({ state: "failed", error: { code: "user_error", message: "bad point" } });
    expect(heard.outcomes.get(2)).toMatchObject({ state: "finished" });
    expect(executors).toHaveLength(1);
  });

  it("kills the executor of a running job killed by a user: the job ends cancelled", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    blocked(1);
    pool.enqueue(job(1));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.startedJobs).toEqual([1]));
    pool.kill({ jobId: 1, attempt: 1 });
    await vi.waitFor(() => expect(heard.outcomes.get(1)).toEqual({ state: "cancelled", error: { code: "killed", message: "killed by a user" } }));
    expect(executors[0]!.alive).toBe(false);
  });

  it("drops a job killed in an executor's queue there, without touching the job that runs", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    await learnFast(pool, heard, [1, 2, 3]);
    const running = blocked(10);
    for (const id of [10, 11, 12]) pool.enqueue(job(id));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.sentJobs).toContain(12));
    pool.kill({ jobId: 11, attempt: 1 });
    await vi.waitFor(() => expect(heard.outcomes.get(11)).toMatchObject({ state: "cancelled", error: { code: "killed" } }));
    expect(heard.outcomes.has(10)).toBe(false);
    running.open("done");
    await vi.waitFor(() => expect(heard.outcomes.get(12)).toMatchObject({ state: "finished" }));
    expect(heard.outcomes.get(10)).toMatchObject({ state: "finished", result: '"done"' });
    expect(executors).toHaveLength(1);
  });

  it("kills a job that runs past its walltime: it fails with walltime_exceeded", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    blocked(1);
    pool.enqueue(job(1, { walltimeMs: 20 }));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.outcomes.get(1)).toMatchObject({ state: "failed", error: { code: "walltime_exceeded" } }));
    expect(executors[0]!.alive).toBe(false);
  });

  it("fails the job an executor ran when it crashes, and runs those queued behind it elsewhere, no attempt spent", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    await learnFast(pool, heard, [1, 2, 3]);
    blocked(10);
    for (const id of [10, 11, 12]) pool.enqueue(job(id));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.sentJobs).toContain(12));
    executors[0]!.crash("the executor process exited with code 7");
    await vi.waitFor(() => expect(heard.outcomes.size).toBe(6));
    expect(heard.outcomes.get(10)).toEqual({ state: "failed", error: { code: "executor_crash", message: "the executor process exited with code 7" } });
    expect(heard.returnedJobs.sort()).toEqual([11, 12]);
    expect(heard.outcomes.get(11)).toMatchObject({ state: "finished" });
    expect(heard.outcomes.get(12)).toMatchObject({ state: "finished" });
    expect(executors).toHaveLength(2);
  });

  it("fails the jobs of a context whose executor cannot load, and remembers why", async () => {
    const { pool, heard } = setup({ slots: 2, failingBundles: ["bad"] });
    pool.enqueue(job(1, { owner: 1, bundleHash: "bad" }));
    pool.enqueue(job(2, { owner: 1, bundleHash: "bad" }));
    pool.enqueue(job(3));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.outcomes.size).toBe(3));
    expect(heard.outcomes.get(1)).toMatchObject({ state: "failed", error: { code: "bundle_load_failed", message: "Error: cannot import bad" } });
    expect(heard.outcomes.get(2)).toMatchObject({ state: "failed", error: { code: "bundle_load_failed" } });
    expect(heard.outcomes.get(3)).toMatchObject({ state: "finished" });
    expect(pool.brokenReason(contextKey({ owner: 1, bundleHash: "bad" }))).toMatchObject({ code: "bundle_load_failed" });
    expect(pool.brokenReason(contextKey({ owner: 1, bundleHash: "b1" }))).toBeUndefined();
  });

  it("lets an idle executor take back jobs queued behind a running one on another executor", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 2 });
    await learnFast(pool, heard, [1]);
    expect(executors).toHaveLength(1);
    const running = blocked(10);
    // 10 runs on the first executor, 11 starts a second one, 12 and 13 queue behind 10 meanwhile.
    for (const id of [10, 11, 12, 13]) pool.enqueue(job(id));
    pool.dispatch();
    expect(executors).toHaveLength(2);
    // Once 11 is done, the second executor is idle: it takes 13, then 12, back from behind 10.
    await vi.waitFor(() => expect([11, 12, 13].every((id) => heard.outcomes.has(id))).toBe(true));
    expect(heard.outcomes.has(10)).toBe(false);
    expect(heard.returnedJobs.sort()).toEqual([12, 13]);
    expect(heard.outcomes.get(12)).toMatchObject({ state: "finished", result: "120" });
    expect(executors).toHaveLength(2);
    running.open(1);
    await vi.waitFor(() => expect(heard.outcomes.get(10)).toMatchObject({ state: "finished" }));
  });

  it("runs a driver job on an executor of its own beside the slots, ended with its job", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    blocked(1);
    pool.enqueue(job(1));
    pool.dispatch();
    pool.startDriver(job(2, { kind: "driver" }));
    expect(pool.driverCount).toBe(1);
    expect(executors).toHaveLength(2);
    await vi.waitFor(() => expect(heard.outcomes.get(2)).toMatchObject({ state: "finished", result: "20" }));
    expect(pool.driverCount).toBe(0);
    expect(executors[1]!.alive).toBe(false);
    expect(heard.outcomes.has(1)).toBe(false);
  });

  it("names the code its live executors of work and driver jobs run, and that of the jobs waiting for one", async () => {
    const { pool, heard, blocked } = setup({ slots: 1 });
    const first = blocked(1);
    const driver = blocked(2);
    pool.enqueue(job(1, { projectHash: "p1" }));
    pool.dispatch();
    pool.startDriver(job(2, { kind: "driver", bundleHash: "b2" }));
    // The only slot is busy: this job waits for it.
    pool.enqueue(job(3, { bundleHash: "b3" }));
    pool.dispatch();
    expect(pool.codeInUse()).toEqual({ bundles: new Set(["b1", "b2", "b3"]), projects: new Set(["p1"]) });
    driver.open("done");
    await vi.waitFor(() => expect(heard.outcomes.has(2)).toBe(true));
    // The driver's executor ended with its job.
    expect(pool.codeInUse()).toEqual({ bundles: new Set(["b1", "b3"]), projects: new Set(["p1"]) });
    first.open("done");
    await vi.waitFor(() => expect(heard.outcomes.size).toBe(3));
    pool.endWorkers();
    expect(pool.codeInUse()).toEqual({ bundles: new Set(), projects: new Set() });
  });

  it("abandons, when stopping, the jobs whose executors end with the pool: not their fault", async () => {
    const { pool, heard, blocked } = setup({ slots: 1 });
    blocked(1);
    blocked(2);
    pool.enqueue(job(1));
    pool.dispatch();
    pool.startDriver(job(2, { kind: "driver" }));
    await vi.waitFor(() => expect(heard.startedJobs.sort()).toEqual([1, 2]));
    pool.stop();
    expect(pool.demand(20).capacity).toBe(0);
    expect(pool.busy).toBe(true);
    pool.endWorkers();
    pool.endDrivers();
    await vi.waitFor(() => expect(heard.abandonedJobs.sort()).toEqual([1, 2]));
    expect(heard.outcomes.size).toBe(0);
  });

  it("says nothing more of the jobs it dropped", async () => {
    const { pool, heard, executors, blocked } = setup({ slots: 1 });
    blocked(1);
    pool.enqueue(job(1));
    pool.enqueue(job(2));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.startedJobs).toEqual([1]));
    pool.drop();
    await vi.waitFor(() => expect(executors[0]!.alive).toBe(false));
    await new Promise((r) => setImmediate(r));
    pool.dispatch();
    expect(heard.outcomes.size).toBe(0);
    expect(heard.abandonedJobs).toEqual([]);
    expect(executors).toHaveLength(1);
  });

  it("asks for more than its slots only of tasks it has seen to be fast", async () => {
    const { pool, heard } = setup({ slots: 2 });
    expect(pool.demand(20)).toEqual({ capacity: 2, drivers: 0, prefetch: [] });
    await learnFast(pool, heard, [1, 2, 3]);
    const demand = pool.demand(20);
    expect(demand.prefetch).toEqual([1]);
    expect(demand.capacity).toBeGreaterThan(2);
  });

  it("warms executors in every free slot and says when all of them are ready", async () => {
    const { pool, heard, executors } = setup({ slots: 3 });
    expect(pool.warm({ owner: 1, bundleHash: "b2" })).toBe(3);
    expect(executors.map((e) => e.bundleHash)).toEqual(["b2", "b2", "b2"]);
    await vi.waitFor(() => expect(heard.warmBundles).toEqual(["b2"]));
    expect(pool.warm({ owner: 1, bundleHash: "b2" })).toBe(0);
  });

  it("takes in an executor started before the pilot as its owner's, warming until ready, and runs that owner's jobs on it", async () => {
    const { pool, heard, executors, start } = setup({ slots: 1 });
    const prewarmed = new PrewarmedExecutor(start, { bundleHash: "b1" });
    // Before it is adopted, no job matches it: its owner is nobody yet.
    expect(prewarmed.executor.key).not.toBe(contextKey(job(1)));
    pool.adopt(prewarmed, 1);
    expect(prewarmed.executor.key).toBe(contextKey(job(1)));
    // The warm command that follows starts no other executor and waits for this one.
    expect(pool.warm({ owner: 1, bundleHash: "b1" })).toBe(1);
    await vi.waitFor(() => expect(heard.warmBundles).toEqual(["b1"]));
    pool.enqueue(job(1));
    pool.dispatch();
    await vi.waitFor(() => expect(heard.outcomes.get(1)).toMatchObject({ state: "finished", result: "10" }));
    expect(executors).toHaveLength(1);
  });

  it("ends a prewarmed executor it has no free slot for, and takes none that failed to load", async () => {
    const { pool, executors, start } = setup({ slots: 1, failingBundles: ["bad"] });
    const failing = new PrewarmedExecutor(start, { bundleHash: "bad" });
    await vi.waitFor(() => expect(failing.usable).toBe(false));
    pool.adopt(failing, 1);
    const first = new PrewarmedExecutor(start, { bundleHash: "b1" });
    const second = new PrewarmedExecutor(start, { bundleHash: "b1" });
    pool.adopt(first, 1);
    pool.adopt(second, 1);
    expect(executors.map((e) => [e.bundleHash, e.alive])).toEqual([
      ["bad", false],
      ["b1", true],
      ["b1", false],
    ]);
    expect(pool.warm({ owner: 1, bundleHash: "b1" })).toBe(1);
  });

  it("warms in the slot of an executor of other code only once that one has been idle long enough", async () => {
    const { pool, heard, executors } = setup({ slots: 1, warmReplacesIdleMs: 60_000 });
    await learnFast(pool, heard, [1]);
    expect(pool.warm({ owner: 1, bundleHash: "b2" })).toBe(0);
    expect(executors).toHaveLength(1);

    const eager = setup({ slots: 1, warmReplacesIdleMs: 0 });
    await learnFast(eager.pool, eager.heard, [1]);
    expect(eager.pool.warm({ owner: 1, bundleHash: "b2" })).toBe(1);
    expect(eager.executors.map((e) => [e.bundleHash, e.alive])).toEqual([
      ["b1", false],
      ["b2", true],
    ]);
    await vi.waitFor(() => expect(eager.heard.warmBundles).toEqual(["b2"]));
  });

  it("warms at most the warm count of executors, however many slots it has", async () => {
    const { pool, heard, executors } = setup({ slots: 8, warmExecutors: 3 });
    expect(pool.warm({ owner: 1, bundleHash: "b2" })).toBe(3);
    await vi.waitFor(() => expect(heard.warmBundles).toEqual(["b2"]));
    expect(pool.warm({ owner: 1, bundleHash: "b2" })).toBe(0);
    expect(executors).toHaveLength(3);
  });
});

describe("ExecutorPool sizing", () => {
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  /** Lets the in-process executors' events run (they come by setImmediate, which fake timers leave alone) until `done`. */
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 100 && !done(); i++) await settle();
    expect(done()).toBe(true);
  };

  it("grows to its slots for a burst, then retires the executors beyond the warm count once idle, never one holding a job", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const { pool, heard, executors, blocked } = setup({ slots: 4, warmExecutors: 1, executorIdleMs: 1_000 });
      expect(pool.warm({ owner: 1, bundleHash: "b1" })).toBe(1);
      const burst = [1, 2, 3, 4].map((id) => blocked(id));
      for (const id of [1, 2, 3, 4]) pool.enqueue(job(id));
      pool.dispatch();
      await until(() => heard.startedJobs.length === 4);
      expect(executors).toHaveLength(4);
      burst.forEach((g) => g.open(0));
      await until(() => heard.outcomes.size === 4);

      // Just before the idle time is up a job comes: it runs on an idle executor, which is then not retired.
      vi.advanceTimersByTime(999);
      await settle();
      expect(executors.filter((e) => e.alive)).toHaveLength(4);
      const late = blocked(5);
      pool.enqueue(job(5));
      pool.dispatch();
      expect(heard.startedJobs).toContain(5);
      vi.advanceTimersByTime(1);
      await settle();
      // Three retired: the one running job 5 stays, and the job finishes there (a retired one's job would crash).
      expect(executors.filter((e) => e.alive)).toHaveLength(1);
      late.open(0);
      await until(() => heard.outcomes.has(5));
      expect(heard.outcomes.get(5)).toMatchObject({ state: "finished", result: "0" });

      // Jobs coming after the retirement start executors again, up to the slots: none waits for a retired one.
      for (const id of [6, 7]) pool.enqueue(job(id));
      pool.dispatch();
      await until(() => heard.outcomes.size === 7);
      expect([...heard.outcomes.values()].every((o) => o.state === "finished")).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("retires nothing when the idle time is 0 or the warm count covers the slots", async () => {
    for (const options of [{ executorIdleMs: 0, warmExecutors: 1 }, { executorIdleMs: 10, warmExecutors: 16 }]) {
      const { pool, heard, executors, blocked } = setup({ slots: 3, ...options });
      const gates = [1, 2, 3].map((id) => blocked(id));
      for (const id of [1, 2, 3]) pool.enqueue(job(id));
      pool.dispatch();
      await vi.waitFor(() => expect(heard.startedJobs).toHaveLength(3));
      gates.forEach((g) => g.open(0));
      await vi.waitFor(() => expect(heard.outcomes.size).toBe(3));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(executors.filter((e) => e.alive)).toHaveLength(3);
    }
  });
});

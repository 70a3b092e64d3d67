// The store's conformance suite: what every dialect must do the same, above all under concurrency. Run on
// SQLite by store.sqlite.test.ts (unit project) and on PostgreSQL by test/store.test.ts (its PostgreSQL
// project), where claims, reports, kills and closes really run side by side.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttemptUpdate, DispatchedJob } from "../core/dispatch-records.js";
import { defaultQueue } from "../core/queue-config.js";
import { sleep } from "../core/sleep.js";
import { MAX_VALUE_SOURCE_CHARS } from "../core/job-columns.js";
import type { StoreContext, StoreLimits } from "./context.js";
import type { WaitingPilot } from "./dispatch-store.js";
import { QueueTakenError } from "./queue-store.js";
import { Store } from "./store.js";
import type { NewTask, TaskChange } from "./task-store.js";

/** A migrated, empty database for the suite, and how to get rid of it afterwards. */
export interface ConformanceTarget {
  ctx: StoreContext;
  /** Called after the store is closed. */
  remove(): Promise<void> | void;
}

const BUNDLE = "b".repeat(64);
const LIMITS: StoreLimits = { maxSystemRetries: 10 };

export function describeStoreConformance(dialect: string, open: (limits: StoreLimits) => Promise<ConformanceTarget>): void {
  describe(`the store on ${dialect}`, () => {
    let target: ConformanceTarget;
    let store: Store;
    let userId: number;
    let queues = 0;

    beforeAll(async () => {
      target = await open(LIMITS);
      store = new Store(target.ctx);
      userId = await store.auth.ensureUser("someone", "user");
      await store.bundles.put(BUNDLE, new Uint8Array([1]), userId);
    });
    afterAll(async () => {
      await store?.close();
      await target?.remove();
    });

    /** A queue of the test's own, so that no other test's pilot claims its jobs. */
    const newQueue = () => `q${++queues}`;
    const newWorkflow = async () =>
      (
        await store.workflows.create({
          userId,
          name: "wf",
          mode: "local",
          queue: "local",
          bundleHash: BUNDLE,
          nodeVersion: null,
          lockfileHash: null,
          argsHash: null,
          seed: 1,
        })
      ).id;
    const task = (workflowId: number, seq: number, queue: string | null, jobs = 1, maxAttempts = 1): NewTask => ({
      workflowId,
      work: "w",
      bundleHash: BUNDLE,
      seq,
      queue,
      pendingReason: queue === null ? "no queue takes it" : undefined,
      priority: 0,
      maxAttempts,
      channel: `c${workflowId}.${seq}`,
      resultKey: "k",
      argsHash: `h${seq}`,
      jobs: Array.from({ length: jobs }, (_, i) => ({ key: `j${i}`, args: `[${i}]` })),
    });
    const addTask = async (t: NewTask, waiting: readonly WaitingPilot[] = []) => {
      const added = await store.tasks.addTask(t, waiting);
      if (added.kind !== "created") throw new Error(`expected a new task, got ${added.kind}`);
      return added;
    };
    const pilot = (queue: string, name = "p") =>
      store.pilots.register({ queue, name, host: "h", pid: 1, slots: 1, version: "v", reportKey: "k" });
    /** A running workflow with one task of `jobs` jobs on a queue of its own, and a pilot there. */
    const running = async (jobs = 1, maxAttempts = 1) => {
      const queue = newQueue();
      const workflowId = await newWorkflow();
      const { id: taskId } = await addTask(task(workflowId, 0, queue, jobs, maxAttempts));
      return { queue, workflowId, taskId, pilotId: await pilot(queue) };
    };
    /** A task of three jobs, two claimed by pilot a and one by pilot b. */
    const threeJobsOnTwoPilots = async () => {
      const queue = newQueue();
      const { id: taskId } = await addTask(task(await newWorkflow(), 0, queue, 3));
      const [a, b] = [await pilot(queue, "a"), await pilot(queue, "b")];
      const [ja1, ja2] = await store.dispatch.claim(a, queue, 2);
      const [jb] = await store.dispatch.claim(b, queue, 1);
      return { taskId, a, b, ja1, ja2, jb };
    };
    /** What one pilot holds, read as the server reads several at once. */
    const heldBy = async (pilotId: number) => (await store.held.heldBy([pilotId])).get(pilotId)!;
    const heldCount = async (pilotId: number) => (await store.held.heldCountsOf([pilotId])).get(pilotId)!;
    const claimOne = async (pilotId: number, queue: string): Promise<DispatchedJob> => {
      const [job] = await store.dispatch.claim(pilotId, queue, 1);
      if (!job) throw new Error(`no job to claim on ${queue}`);
      return job;
    };
    const report = (job: DispatchedJob, state: AttemptUpdate["state"], more: Partial<AttemptUpdate> = {}): AttemptUpdate => ({
      jobId: job.jobId,
      attempt: job.attempt,
      state,
      ...more,
    });
    const jobRow = (jobId: number) =>
      target.ctx.db
        .selectFrom("jobs")
        .select(["state", "kill_requested", "attempt_nr", "failures", "result", "done_seq"])
        .where("id", "=", jobId)
        .executeTakeFirstOrThrow();
    const history = async (jobId: number) => (await store.taskReads.job(jobId))!.attempts;
    const final = async (id: number) => {
      const wf = (await store.workflows.get(id))!;
      return { status: wf.status, endedAt: wf.endedAt, result: wf.result, error: wf.error };
    };

    describe("claims", () => {
      it("never gives one job to two claimers racing for it", async () => {
        const { queue, pilotId } = await running(120);
        const pilots = [pilotId, ...(await Promise.all([1, 2, 3].map((i) => pilot(queue, `p${i}`))))];
        const claimed = await Promise.all(
          pilots.map(async (p) => {
            const mine: number[] = [];
            for (;;) {
              const jobs = await store.dispatch.claim(p, queue, 7);
              if (jobs.length === 0) return mine;
              mine.push(...jobs.map((j) => j.jobId));
            }
          }),
        );
        const all = claimed.flat();
        expect(new Set(all).size).toBe(all.length);
        expect(all).toHaveLength(120);
      });

      it("claims for several pilots in one call: each its share in the order given, nothing for one that ended, a pilot named twice once", async () => {
        const { queue, taskId, pilotId: a } = await running(10);
        const [b, c, ended] = [await pilot(queue, "b"), await pilot(queue, "c"), await pilot(queue, "ended")];
        await store.pilots.end(ended);
        const claims = await store.dispatch.claimEach(queue, [
          { pilotId: a, n: 3 },
          { pilotId: ended, n: 2 },
          { pilotId: b, n: 2 },
          { pilotId: a, n: 4 },
          { pilotId: c, n: 0 },
        ]);
        expect([...claims.keys()].sort()).toEqual([a, b].sort());
        expect(claims.get(a)!.map((j) => j.index)).toEqual([0, 1, 2]);
        // What was meant for the pilot that ended stays queued: b gets the jobs after it.
        expect(claims.get(b)!.map((j) => j.index)).toEqual([5, 6]);
        expect(claims.get(b)!.every((j) => j.taskId === taskId && j.attempt === 1)).toBe(true);
        expect((await heldCount(a)).count).toBe(3);
        expect((await heldCount(ended)).count).toBe(0);
        const rest = await store.dispatch.claimEach(queue, [
          { pilotId: c, n: 4 },
          { pilotId: b, n: 4 },
        ]);
        expect(rest.get(c)!.map((j) => j.index)).toEqual([3, 4, 7, 8]);
        expect(rest.get(b)!.map((j) => j.index)).toEqual([9]);
        expect((await store.dispatch.claimEach(queue, [{ pilotId: a, n: 1 }])).size).toBe(0);
      });

      it("never gives one job twice to pilots claimed for in racing calls", async () => {
        const { queue, pilotId } = await running(150);
        const pilots = [pilotId, ...(await Promise.all([1, 2, 3, 4, 5].map((i) => pilot(queue, `p${i}`))))];
        const claimed: number[] = [];
        for (let round = 0; round < 20; round++) {
          const calls = [pilots.slice(0, 3), pilots.slice(3)].map((group) => store.dispatch.claimEach(queue, group.map((p) => ({ pilotId: p, n: 3 }))));
          for (const claims of await Promise.all(calls)) for (const jobs of claims.values()) claimed.push(...jobs.map((j) => j.jobId));
        }
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed).toHaveLength(150);
      });

      it("never gives one job to a waiting pilot and a claimer at once", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const [waiter, claimer] = [await pilot(queue, "waiter"), await pilot(queue, "claimer")];
        const demand = { capacity: 40, slots: 40, drivers: 0, prefetchNamed: false };
        const claimed: number[] = [];
        const adding = addTask(task(workflowId, 0, queue, 100), [{ pilotId: waiter, demand }]);
        for (let i = 0; i < 50 && claimed.length < 60; i++) {
          claimed.push(...(await store.dispatch.claim(claimer, queue, 5)).map((j) => j.jobId));
        }
        const added = await adding;
        claimed.push(...(await store.dispatch.claim(claimer, queue, 100)).map((j) => j.jobId));
        const handed = (added.claims.get(waiter) ?? []).map((j) => j.jobId);
        expect(handed.length).toBeLessThanOrEqual(40);
        const all = [...handed, ...claimed];
        expect(new Set(all).size).toBe(all.length);
        expect(all).toHaveLength(100);
      });

      it("hands a new task's jobs to waiting pilots as far as their free slots go, in the order given", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const [a, b, c] = [await pilot(queue, "a"), await pilot(queue, "b"), await pilot(queue, "c")];
        const ended = await pilot(queue, "ended");
        await store.pilots.end(ended);
        const busy = await addTask(task(workflowId, 0, queue, 1));
        expect((await store.dispatch.claim(a, queue, 1))[0]?.taskId).toBe(busy.id);
        const slots = (n: number) => ({ capacity: 10, slots: n, drivers: 0, prefetchNamed: true });
        const added = await addTask(task(workflowId, 1, queue, 5), [
          { pilotId: a, demand: slots(3) },
          { pilotId: b, demand: slots(2) },
          { pilotId: ended, demand: slots(2) },
          { pilotId: c, demand: slots(4) },
        ]);
        // a holds one attempt already: two free slots; b two; then a pilot that ended: what was meant for it
        // stays for the next pilot to ask (c, woken for it), and c's share begins past it.
        expect([...added.claims].map(([p, jobs]) => [p, jobs.length])).toEqual([
          [a, 2],
          [b, 2],
        ]);
        // In the order given, the jobs in theirs.
        expect([...added.claims.values()].flat().map((j) => j.index)).toEqual([0, 1, 2, 3]);
        expect((await heldBy(a)).count).toBe(3);
        expect(await heldCount(a)).toEqual({ count: 3, commands: [] });
        expect((await store.dispatch.claim(c, queue, 10)).map((j) => j.index)).toEqual([4]);
      });

      it("hands a new task out to more waiting pilots than it counts the holdings of at once, each by its own free slots", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const pilots: number[] = [];
        for (let i = 0; i < 600; i++) pilots.push(await pilot(queue, `w${i}`));
        // One pilot past the first batch already holds its one slot's job.
        const busy = pilots[550]!;
        await addTask(task(workflowId, 0, queue, 1));
        expect(await store.dispatch.claim(busy, queue, 1)).toHaveLength(1);
        const oneSlot = { capacity: 1, slots: 1, drivers: 0, prefetchNamed: true };
        const added = await addTask(task(workflowId, 1, queue, 600), pilots.map((pilotId) => ({ pilotId, demand: oneSlot })));
        expect(added.claims.size).toBe(599);
        expect(added.claims.has(busy)).toBe(false);
        expect([...added.claims.values()].every((jobs) => jobs.length === 1)).toBe(true);
      });

      it("records the reports of several pilots in one transaction, each counted for what its own pilot holds", async () => {
        const { taskId, a, b, ja1, ja2, jb } = await threeJobsOnTwoPilots();
        const done = { startedAt: 1, endedAt: 2, result: "[1]" };
        const results = await store.dispatch.applyReports(
          [
            { pilotId: a, updates: [report(ja1!, "finished", done), report(jb!, "finished", done)] },
            { pilotId: b, updates: [report(jb!, "finished", done)], taskId },
            { pilotId: a, updates: [report(ja2!, "failed", { ...done, error: { code: "user_error", message: "no" } })] },
          ],
          "rest",
        );
        expect(results.map((r) => [r.accepted, r.ignored, r.refused.map((x) => x.jobId)])).toEqual([
          [1, 1, [jb!.jobId]],
          [1, 0, []],
          [1, 0, []],
        ]);
        // What changed comes with the first result, once.
        expect(results[0]!.tasks).toEqual([expect.objectContaining({ taskId, outcomes: { finished: 2, failed: 1 } })]);
        expect(results.slice(1).every((r) => r.tasks.length === 0)).toBe(true);
        expect((await jobRow(jb!.jobId))?.state).toBe("finished");
        expect((await heldBy(a)).count).toBe(0);
      });

      it("moves each task's counters and result cursor by its own finals when reports about several tasks are recorded together, racing or not", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const { id: first } = await addTask(task(workflowId, 0, queue, 2));
        const { id: second } = await addTask(task(workflowId, 1, queue, 3));
        const [a, b] = [await pilot(queue, "a"), await pilot(queue, "b")];
        // a holds a job of the first task and two of the second; b one of each.
        const jobsA = await store.dispatch.claim(a, queue, 1);
        const jobsB = await store.dispatch.claim(b, queue, 2);
        jobsA.push(...(await store.dispatch.claim(a, queue, 2)));
        const done = { startedAt: 1, endedAt: 2, result: "[1]" };
        // Each racing batch holds jobs of both tasks, in opposite orders: neither may wait for the other forever.
        const [ra, rb] = await Promise.all([
          store.dispatch.applyReports([{ pilotId: a, updates: [...jobsA].reverse().map((j) => report(j, "finished", done)) }], "rest"),
          store.dispatch.applyReports([{ pilotId: b, updates: jobsB.map((j) => report(j, "finished", done)) }], "rest"),
        ]);
        expect([ra![0]!.accepted, rb![0]!.accepted]).toEqual([3, 2]);
        expect(await store.taskReads.get(first)).toMatchObject({ status: "done", nFinished: 2, resultCursor: 2 });
        expect(await store.taskReads.get(second)).toMatchObject({ status: "done", nFinished: 3, resultCursor: 3 });
        expect((await store.taskReads.results(second, 0, 10)).map((o) => o.seq)).toEqual([1, 2, 3]);
        const changes = [...ra![0]!.tasks, ...rb![0]!.tasks];
        for (const taskId of [first, second]) {
          const mine = changes.filter((c) => c.taskId === taskId).sort((x, y) => x.seqFrom - y.seqFrom);
          expect(mine.map((c) => [c.seqFrom, c.seqTo])).toEqual(mine.length === 1 ? [[0, taskId === first ? 2 : 3]] : [[0, mine[0]!.seqTo], [mine[0]!.seqTo, taskId === first ? 2 : 3]]);
          expect(mine.filter((c) => c.ended)).toHaveLength(1);
        }
      });

      it("says with the changes of pilots' reports what a results read returns after them, and the task as it then reads", async () => {
        const { taskId, a, b, ja1, ja2, jb } = await threeJobsOnTwoPilots();
        const matchesReads = async (change: TaskChange | undefined) => {
          expect(change?.results).toBeDefined();
          expect(change!.results).toEqual({ view: await store.taskReads.get(taskId), outcomes: await store.taskReads.results(taskId, change!.seqFrom, 100) });
        };
        const failed = { startedAt: 1, endedAt: 2, error: { code: "user_error" as const, message: "no" } };
        const [first] = await store.dispatch.applyReports(
          [
            { pilotId: a, updates: [report(ja1!, "finished", { startedAt: 1, endedAt: 2, result: '"a\u0000b"' })] },
            { pilotId: b, updates: [report(jb!, "failed", failed)], taskId },
          ],
          "rest",
        );
        expect(first!.tasks[0]?.results?.outcomes).toHaveLength(2);
        await matchesReads(first!.tasks[0]);
        const last = await store.dispatch.apply(a, [report(ja2!, "failed", failed)], "broker");
        expect(last.tasks[0]).toMatchObject({ ended: true, results: { view: { status: last.tasks[0]!.status } } });
        await matchesReads(last.tasks[0]);
        // A kill's cancellations come without: a driver woken for them reads them.
        const killed = await running(1);
        expect((await store.tasks.kill(killed.taskId))?.change.results).toBeUndefined();
      });

      it("gives a task's project archive to its jobs, read back from the database too, and lets their pilot read it", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const project = "p".repeat(64);
        await addTask({ ...task(workflowId, 0, queue, 2), projectHash: project });
        const p = await pilot(queue);
        expect((await claimOne(p, queue)).projectHash).toBe(project);
        // Another store on the same database knows the task from its row only.
        const fresh = new Store(target.ctx);
        expect((await fresh.dispatch.claim(p, queue, 1))[0]?.projectHash).toBe(project);
        expect(await store.bundles.ofPilot(p)).toContainEqual({ hash: project, userId });
        const plain = await running();
        expect((await claimOne(plain.pilotId, plain.queue)).projectHash).toBeUndefined();
      });

      it("gives no job to a pilot declared lost, though its long-poll may still be open", async () => {
        const { queue, pilotId } = await running(2, 3);
        const job = await claimOne(pilotId, queue);
        const swept = await store.pilots.sweepLost(0, new Map([[queue, Date.now() + 1]]));
        expect(swept).toEqual({ pilots: [pilotId], attempts: [{ jobId: job.jobId, attempt: job.attempt }] });
        await store.dispatch.apply(null, [report(job, "failed", { error: { code: "lost_heartbeat", message: "silent" } })], "server");
        const demand = { capacity: 1, slots: 1, drivers: 0, prefetchNamed: false };
        expect(await store.dispatch.claim(pilotId, queue, 2)).toEqual([]);
        expect((await target.ctx.db.transaction().execute((trx) => store.dispatch.handOffWithin(trx, queue, 2, [{ pilotId, demand }]))).size).toBe(0);
        const other = await pilot(queue, "other");
        expect((await store.dispatch.claim(other, queue, 2)).map((j) => [j.jobId, j.attempt])).toContainEqual([job.jobId, job.attempt + 1]);
      });

      it("counts a pilot heard from at its last heartbeat written, by any store on the database, and never moves that time back", async () => {
        const queue = newQueue();
        const [heard, silent] = [await pilot(queue, "heard"), await pilot(queue, "silent")];
        const now = Date.now();
        // Another store on the database (another replica) wrote the heartbeat.
        await new Store(target.ctx).pilots.recordHeartbeats(new Map([[heard, now + 60_000]]));
        // An older heartbeat written after it (by a replica that wrote later) does not move it back.
        await store.pilots.recordHeartbeats(new Map([[heard, now - 60_000]]));
        const swept = await store.pilots.sweepLost(0, new Map([[queue, now + 30_000]]));
        expect(swept.pilots).toEqual([silent]);
        expect((await store.monitor.pilots({ queue, limit: 10 })).map((p) => [p.id, p.status, p.heartbeatAt])).toEqual([
          [silent, "lost", expect.any(Number)],
          [heard, "running", now + 60_000],
        ]);
      });

      it("tells which pilots ended since a time, by an exit or a sweep of any store on the database, and never a running one", async () => {
        const queue = newQueue();
        const [exited, lost, running] = [await pilot(queue, "exited"), await pilot(queue, "lost"), await pilot(queue, "running")];
        const before = Date.now();
        await store.pilots.end(exited);
        await new Store(target.ctx).pilots.recordHeartbeats(new Map([[running, before + 60_000]]));
        await new Store(target.ctx).pilots.sweepLost(0, new Map([[queue, before + 30_000]]));
        const ended = await store.pilots.endedSince(before);
        expect(ended).toEqual(expect.arrayContaining([exited, lost]));
        expect(ended).not.toContain(running);
        expect(await store.pilots.endedSince(Date.now() + 1)).toEqual([]);
      });

      it("writes the heartbeats of thousands of pilots at once", async () => {
        const queue = newQueue();
        const ids: number[] = [];
        for (let i = 0; i < 3; i++) ids.push(await pilot(queue, `p${i}`));
        const at = Date.now() + 60_000;
        // More pilots than one statement takes: the ones not registered here stand for other pilots.
        const beats = new Map([...ids, ...Array.from({ length: 2500 }, (_, i) => 1_000_000_000 + i)].map((id) => [id, at]));
        await store.pilots.recordHeartbeats(beats);
        expect((await store.pilots.sweepLost(0, new Map([[queue, at]]))).pilots).toEqual([]);
        expect((await store.pilots.sweepLost(0, new Map([[queue, at + 1]]))).pilots.sort((a, b) => a - b)).toEqual(ids);
      });

      it("claims nothing for a pilot that has ended, whose long-poll may still be open", async () => {
        const { queue, pilotId } = await running(2);
        const first = await store.pilots.end(pilotId);
        expect(first.ended).toBe(true);
        expect(first.held).toEqual([]);
        // Ending it again changes nothing and says so (the metric of ended pilots counts it once).
        expect((await store.pilots.end(pilotId)).ended).toBe(false);
        expect(await store.dispatch.claim(pilotId, queue, 5)).toEqual([]);
        const other = await pilot(queue);
        expect(await store.dispatch.claim(other, queue, 5)).toHaveLength(2);
      });

      it("claims nothing for a pending task until it is placed on a queue", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const p = await pilot(queue);
        const added = await addTask(task(workflowId, 0, null), [{ pilotId: p, demand: { capacity: 1, slots: 1, drivers: 0, prefetchNamed: false } }]);
        expect(added.claims.size).toBe(0);
        expect((await store.taskReads.get(added.id))?.status).toBe("pending");
        expect(await store.placement.pending()).toContainEqual(expect.objectContaining({ id: added.id, reason: "no queue takes it" }));
        expect(await store.placement.place(added.id, queue)).toBe(true);
        expect(await store.placement.place(added.id, queue)).toBe(false);
        expect((await claimOne(p, queue)).taskId).toBe(added.id);
        expect((await store.taskReads.info(added.id))?.queue).toBe(queue);
      });
    });

    describe("reports", () => {
      it("applies a pilot's update only to an attempt it holds now, of the task its message was signed for", async () => {
        const a = await running(2, 2);
        const b = await running(1);
        const jobA = await claimOne(a.pilotId, a.queue);
        const jobB = await claimOne(b.pilotId, b.queue);
        const forged = [
          // B's pilot, signing for B's task, names A's job: another task's.
          report(jobA, "failed", { error: { code: "user_error", message: "forged" } }),
        ];
        expect(await store.dispatch.apply(b.pilotId, forged, "broker", b.taskId)).toMatchObject({
          accepted: 0,
          refused: [{ jobId: jobA.jobId, attempt: jobA.attempt, reason: "other_task" }],
        });
        // Without a task (REST), or naming A's task: A's attempt is not B's pilot's.
        expect((await store.dispatch.apply(b.pilotId, forged, "rest")).refused).toEqual([
          { jobId: jobA.jobId, attempt: jobA.attempt, reason: "other_pilot" },
        ]);
        expect((await store.dispatch.apply(b.pilotId, forged, "broker", a.taskId)).refused[0]?.reason).toBe("other_pilot");
        // A stale attempt and an unknown job, in one batch with a good update: only the good one counts.
        const batch = [
          report(jobA, "finished", { attempt: jobA.attempt + 1, result: "1" }),
          { jobId: 2 ** 31 - 1, attempt: 1, state: "finished" as const, result: "1" },
          report(jobB, "finished", { result: "7" }),
        ];
        const applied = await store.dispatch.apply(b.pilotId, batch, "broker", b.taskId);
        expect(applied).toMatchObject({ accepted: 1 });
        expect(applied.refused.map((r) => r.reason)).toEqual(["other_task", "unknown_job"]);
        expect((await store.dispatch.apply(a.pilotId, [batch[0]!], "rest")).refused[0]?.reason).toBe("stale_attempt");
        expect(await jobRow(jobA.jobId)).toMatchObject({ state: "sent", result: null, failures: 0 });
        expect(await jobRow(jobB.jobId)).toMatchObject({ state: "finished", result: "7" });
        // A's own pilot still reports A's job.
        expect(await store.dispatch.apply(a.pilotId, [report(jobA, "finished", { result: "2" })], "broker", a.taskId)).toMatchObject({
          accepted: 1,
          refused: [],
        });
      });

      it("counts a repeated identical final report once", async () => {
        const { queue, taskId, pilotId } = await running(2);
        const job = await claimOne(pilotId, queue);
        const done = report(job, "finished", { result: "42", startedAt: 1, endedAt: 2 });
        expect(await store.dispatch.apply(pilotId, [done, done], "rest")).toMatchObject({ accepted: 1, ignored: 1 });
        const again = await store.dispatch.apply(pilotId, [done], "broker");
        expect(again).toEqual({ accepted: 0, ignored: 1, tasks: [], requeued: [], refused: [] });
        expect(await jobRow(job.jobId)).toMatchObject({ state: "finished", result: "42", done_seq: 1 });
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "running", nFinished: 1, resultCursor: 1 });
        expect(await store.taskReads.results(taskId, 0, 10)).toHaveLength(1);
        expect(await history(job.jobId)).toHaveLength(1);
      });

      it("counts identical final reports that arrive side by side once", async () => {
        const { queue, taskId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        const done = report(job, "finished", { result: "1" });
        const results = await Promise.all([1, 2, 3].map(() => store.dispatch.apply(pilotId, [done], "rest")));
        expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(1);
        expect(results.flatMap((r) => r.tasks)).toEqual([expect.objectContaining({ taskId, status: "done", ended: true, seqFrom: 0, seqTo: 1 })]);
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "done", nFinished: 1, resultCursor: 1 });
      });

      it("accepts repeated running reports without ending the attempt", async () => {
        const { queue, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        const run = report(job, "running", { startedAt: 5 });
        expect(await store.dispatch.apply(pilotId, [run, run], "rest")).toMatchObject({ accepted: 2, ignored: 0 });
        expect(await store.dispatch.apply(pilotId, [run], "rest")).toMatchObject({ accepted: 1 });
        expect(await jobRow(job.jobId)).toMatchObject({ state: "running", done_seq: null });
        expect(await history(job.jobId)).toEqual([expect.objectContaining({ attempt: 1, state: "running", startedAt: 5, endedAt: null })]);
      });

      it("spends one attempt on a repeated failure report, and retries the job once", async () => {
        const { queue, taskId, pilotId } = await running(1, 3);
        const job = await claimOne(pilotId, queue);
        const failed = report(job, "failed", { error: { code: "user_error", message: "boom" } });
        expect(await store.dispatch.apply(pilotId, [failed, failed], "rest")).toMatchObject({ accepted: 1, ignored: 1, requeued: [queue] });
        expect(await store.dispatch.apply(pilotId, [failed], "rest")).toMatchObject({ accepted: 0 });
        expect(await jobRow(job.jobId)).toMatchObject({ state: "activated", failures: 1, attempt_nr: 1 });
        const retry = await claimOne(pilotId, queue);
        expect(retry).toMatchObject({ jobId: job.jobId, attempt: 2 });
        expect(await store.dispatch.claim(pilotId, queue, 1)).toEqual([]);
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "running", nFailed: 0 });
      });

      it("ignores a late report of an attempt that was superseded", async () => {
        const { queue, taskId, pilotId } = await running(1);
        const other = await pilot(queue, "other");
        const first = await claimOne(pilotId, queue);
        // The server lost the first pilot: the attempt fails as a system failure and the job goes to another.
        const lost = await store.dispatch.apply(null, [report(first, "failed", { error: { code: "lost_heartbeat", message: "silent" } })], "server");
        expect(lost).toMatchObject({ accepted: 1, requeued: [queue] });
        const second = await claimOne(other, queue);
        expect(second.attempt).toBe(first.attempt + 1);
        expect(await store.dispatch.apply(pilotId, [report(first, "finished", { result: "late" })], "rest")).toMatchObject({ accepted: 0, ignored: 1 });
        expect(await store.dispatch.apply(pilotId, [report(second, "finished", { result: "stolen" })], "rest")).toMatchObject({ accepted: 0 });
        expect(await store.dispatch.apply(other, [report(second, "finished", { result: "2" })], "rest")).toMatchObject({ accepted: 1 });
        expect(await jobRow(first.jobId)).toMatchObject({ state: "finished", result: "2" });
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "done" });
        expect((await history(first.jobId)).map((a) => [a.attempt, a.state])).toEqual([
          [1, "failed"],
          [2, "finished"],
        ]);
      });
    });

    describe("the attempts history", () => {
      const historyRows = async (jobId: number) =>
        (await target.ctx.db.selectFrom("attempts").select(["nr", "state"]).where("job_id", "=", jobId).orderBy("nr").execute()).map((a) => [a.nr, a.state]);

      it("writes a row only for attempts the job's row cannot stand for, reads every attempt alike, and keeps them through a retry, an archive and a deletion", async () => {
        const { queue, workflowId, taskId, pilotId } = await running(2, 2);
        const plain = await claimOne(pilotId, queue);
        const noisy = await claimOne(pilotId, queue);
        const boom = { code: "user_error" as const, message: "boom" };
        await store.dispatch.apply(pilotId, [report(plain, "finished", { result: "1", startedAt: 3, endedAt: 4 })], "rest");
        // An attempt with output, retried; then one that fails the job as plainly as the first finished.
        await store.dispatch.apply(pilotId, [report(noisy, "failed", { error: boom, stdout: "out", startedAt: 5, endedAt: 6 })], "rest");
        const second = await claimOne(pilotId, queue);
        await store.dispatch.apply(pilotId, [report(second, "failed", { error: boom, startedAt: 7, endedAt: 8 })], "rest");

        expect(await historyRows(plain.jobId)).toEqual([]);
        expect(await historyRows(noisy.jobId)).toEqual([[1, "failed"]]);
        expect(await history(plain.jobId)).toEqual([
          { attempt: 1, state: "finished", pilot: "p", sentAt: expect.any(Number), startedAt: 3, endedAt: 4, error: null, stdout: null, stderr: null },
        ]);
        const noisyHistory = [
          expect.objectContaining({ attempt: 1, state: "failed", startedAt: 5, endedAt: 6, error: boom, stdout: "out" }),
          expect.objectContaining({ attempt: 2, state: "failed", pilot: "p", startedAt: 7, endedAt: 8, error: boom, stdout: null }),
        ];
        expect(await history(noisy.jobId)).toEqual(noisyHistory);

        // A retry resets the job's row: the attempt it stood for is written first.
        await store.workflows.suspend(workflowId, "the driver stopped");
        expect(await store.tasks.retry(taskId)).toBe(1);
        expect(await historyRows(noisy.jobId)).toEqual([
          [1, "failed"],
          [2, "failed"],
        ]);
        expect(await history(noisy.jobId)).toEqual(noisyHistory);

        const archived = [];
        for await (const r of store.archive.records(workflowId)) if (r.type === "job") archived.push(r.row as { id: number; attempts: Array<{ nr: number }> });
        expect(archived.find((j) => j.id === plain.jobId)!.attempts).toEqual([expect.objectContaining({ nr: 1, state: "finished", started_at: 3, ended_at: 4 })]);
        expect(archived.find((j) => j.id === noisy.jobId)!.attempts.map((a) => a.nr)).toEqual([1, 2]);
        // Killed with its retried job queued: the attempts made are the first job's one and the other's two.
        expect(await store.workflows.kill(workflowId)).toMatchObject({ status: "cancelled" });
        await running(1); // SQLite keeps the workflow of the newest ids
        expect(await store.archive.delete(workflowId)).toMatchObject({ jobs: 2, attempts: 3 });
      });
    });

    describe("kill during a run", () => {
      it("claims a queue whose last claim got all it asked for without looking first, and gets what is left, then nothing", async () => {
        const { queue, pilotId } = await running(3);
        expect(await store.dispatch.claim(pilotId, queue, 2)).toHaveLength(2);
        expect(await store.dispatch.claim(pilotId, queue, 2)).toHaveLength(1);
        expect(await store.dispatch.claim(pilotId, queue, 2)).toEqual([]);
        const emptied = await running(2);
        expect(await store.dispatch.claim(emptied.pilotId, emptied.queue, 2)).toHaveLength(2);
        expect(await store.dispatch.claim(emptied.pilotId, emptied.queue, 2)).toEqual([]);
      });

      it("reads what several pilots hold in one call, each its own, with the kill orders of each, and nothing for a pilot that holds nothing", async () => {
        const { queue, taskId, pilotId: killer } = await running(1);
        const killed = await claimOne(killer, queue);
        const other = await running(2);
        const [first, second] = [await claimOne(other.pilotId, other.queue), await claimOne(other.pilotId, other.queue)];
        const idle = await pilot(newQueue(), "idle");
        await store.tasks.kill(taskId);
        const kill = { kind: "kill", jobId: killed.jobId, attempt: killed.attempt };
        const refs = await store.held.heldBy([killer, other.pilotId, idle]);
        expect(refs.get(killer)).toEqual({ count: 1, commands: [kill], refs: [{ jobId: killed.jobId, attempt: killed.attempt, sentAt: expect.any(Number) }] });
        expect(refs.get(other.pilotId)).toMatchObject({ count: 2, commands: [] });
        expect(refs.get(other.pilotId)!.refs.map((r) => r.jobId).sort((a, b) => a - b)).toEqual([first.jobId, second.jobId].sort((a, b) => a - b));
        expect(refs.get(idle)).toEqual({ count: 0, commands: [], refs: [] });
        const counts = await store.held.heldCountsOf([killer, other.pilotId, idle]);
        expect([...counts]).toEqual([
          [killer, { count: 1, commands: [kill] }],
          [other.pilotId, { count: 2, commands: [] }],
          [idle, { count: 0, commands: [] }],
        ]);
      });

      it("cancels a running job at once, orders its pilot to kill it, and takes the pilot's late report as the confirmation", async () => {
        const { queue, taskId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        await store.dispatch.apply(pilotId, [report(job, "running", { startedAt: 1 })], "rest");
        const killed = await store.tasks.kill(taskId);
        expect(killed).toMatchObject({ change: { taskId, status: "cancelled", ended: true }, pilots: [pilotId] });
        expect(await store.tasks.kill(taskId)).toBeUndefined();
        expect(await jobRow(job.jobId)).toEqual(expect.objectContaining({ state: "cancelled", kill_requested: 1 }));
        expect((await heldBy(pilotId)).commands).toEqual([{ kind: "kill", jobId: job.jobId, attempt: job.attempt }]);
        expect(await heldCount(pilotId)).toEqual({ count: 1, commands: [{ kind: "kill", jobId: job.jobId, attempt: job.attempt }] });

        // The pilot's result arrives after the kill: it ends the attempt, never the cancelled job.
        const late = await store.dispatch.apply(pilotId, [report(job, "finished", { result: "42" })], "rest");
        expect(late).toMatchObject({ accepted: 1, tasks: [], requeued: [] });
        expect(await jobRow(job.jobId)).toMatchObject({ state: "cancelled", kill_requested: 0, result: null });
        expect(await heldBy(pilotId)).toMatchObject({ count: 0, commands: [] });
        expect(await heldCount(pilotId)).toEqual({ count: 0, commands: [] });
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "cancelled", nCancelled: 1, nFinished: 0 });
        expect(await history(job.jobId)).toEqual([expect.objectContaining({ attempt: 1, state: "finished" })]);
        expect(await store.dispatch.apply(pilotId, [report(job, "cancelled")], "rest")).toMatchObject({ accepted: 0 });
      });

      it("lets a kill and a final report racing each other end the job one way or the other, never both", async () => {
        for (let i = 0; i < 10; i++) {
          const { queue, taskId, pilotId } = await running(1);
          const job = await claimOne(pilotId, queue);
          const [killed] = await Promise.all([
            store.tasks.kill(taskId),
            store.dispatch.apply(pilotId, [report(job, "finished", { result: "1" })], "rest"),
          ]);
          const row = await jobRow(job.jobId);
          const view = await store.taskReads.get(taskId);
          if (killed) {
            expect(row).toMatchObject({ state: "cancelled", result: null });
            expect(view).toMatchObject({ status: "cancelled", nCancelled: 1, nFinished: 0, resultCursor: 1 });
          } else {
            expect(row).toMatchObject({ state: "finished", result: "1", kill_requested: 0 });
            expect(view).toMatchObject({ status: "done", nFinished: 1, nCancelled: 0, resultCursor: 1 });
          }
          // Either way the pilot holds nothing once it reported (it confirmed the kill, or it finished first).
          expect((await heldBy(pilotId)).count).toBe(0);
        }
      });

      it("never lets a pilot's report committed after a kill or suspension bring a stopped job back", async () => {
        const { queue, taskId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        // The suspension holds its transaction open while the pilot reports the job running.
        let reported: Promise<unknown> | undefined;
        await target.ctx.db.transaction().execute(async (trx) => {
          await store.tasks.killWithin(trx, taskId, Date.now(), { code: "suspended", message: "the workflow was suspended" });
          reported = store.dispatch.apply(pilotId, [report(job, "running", { startedAt: Date.now() })], "rest");
          await sleep(300);
        });
        await reported;
        expect(await jobRow(job.jobId)).toMatchObject({ state: "cancelled", kill_requested: 1 });
        expect((await heldBy(pilotId)).commands).toEqual([{ kind: "kill", jobId: job.jobId, attempt: job.attempt }]);
      });

      it("gives a job queued again after its kill to a pilot only once the kill is confirmed", async () => {
        const { queue, workflowId, taskId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        expect(await store.workflows.suspend(workflowId, "the driver stopped")).toMatchObject({ status: "suspended", pilots: [pilotId] });
        expect(await store.workflows.resume(workflowId)).toBe(true);
        // The resumed driver's call attaches to its task: the stopped job is queued again.
        expect(await store.tasks.addTask(task(workflowId, 0, queue), [])).toMatchObject({ kind: "attached", id: taskId, resumed: 1 });
        expect(await jobRow(job.jobId)).toMatchObject({ state: "activated", kill_requested: 1 });
        expect(await store.dispatch.claim(pilotId, queue, 1)).toEqual([]);
        const confirmed = await store.dispatch.apply(pilotId, [report(job, "cancelled", { error: { code: "suspended", message: "stopped" } })], "rest");
        expect(confirmed).toMatchObject({ accepted: 1, tasks: [], requeued: [queue] });
        expect(await claimOne(pilotId, queue)).toMatchObject({ jobId: job.jobId, attempt: job.attempt + 1 });
      });
    });

    describe("sites", () => {
      it("keeps each site's queues its own: a name of the server or of another site is refused, unchanged", async () => {
        const def = (name: string) => defaultQueue(name);
        await store.queues.declareFor("alpha", [def("alpha/cpu")]);
        await expect(store.queues.declareFor("beta", [def("alpha/cpu")])).rejects.toThrow(QueueTakenError);
        await store.queues.declare([def("own")]);
        await expect(store.queues.declareFor("beta", [def("own")])).rejects.toThrow(/belongs to the server itself/);
        await store.queues.declareFor("alpha", [def("alpha/cpu")]);
        const records = await store.queues.list();
        expect(records.find((r) => r.definition.name === "alpha/cpu")?.site).toBe("alpha");
      });

      it("takes a site's queue it no longer declares offline, and back to its declared status when declared again", async () => {
        const status = async (name: string) => (await store.queues.list()).find((r) => r.definition.name === name)?.status;
        await store.queues.declareFor("delta", [defaultQueue("delta/a"), defaultQueue("delta/b")]);
        await store.queues.declareFor("epsilon", [defaultQueue("epsilon/a")]);
        await store.queues.declareFor("delta", [defaultQueue("delta/a")]);
        expect([await status("delta/a"), await status("delta/b"), await status("epsilon/a")]).toEqual(["online", "offline", "online"]);
        await store.queues.declareFor("delta", [defaultQueue("delta/a"), defaultQueue("delta/b")]);
        expect(await status("delta/b")).toBe("online");
      });

      it("hears a site's agent and its pilots: the latest heartbeat of either, and its running pilots", async () => {
        await store.sites.heartbeat("gamma");
        await store.queues.declareFor("gamma", [defaultQueue("gamma/cpu")]);
        const [before] = (await store.sites.list()).filter((s) => s.name === "gamma");
        expect(before).toMatchObject({ pilots: 0, pilotHeartbeatAt: null });
        await pilot("gamma/cpu");
        await store.sites.heartbeat("gamma");
        const [after] = (await store.sites.list()).filter((s) => s.name === "gamma");
        expect(after!.pilots).toBe(1);
        expect(after!.pilotHeartbeatAt).toBeGreaterThan(0);
        expect(after!.heartbeatAt).toBeGreaterThanOrEqual(before!.heartbeatAt);
      });

      it("records who started each worker: a site, or a server replica", async () => {
        const fromSite = await store.workers.create("gamma/cpu", "slurm", { site: "gamma", pilotTokenId: null });
        const fromReplica = await store.workers.create("local", "local", { owner: "host:/data" });
        const live = await store.workers.live();
        expect(live.find((w) => w.id === fromSite)).toMatchObject({ site: "gamma", owner: null });
        expect(live.find((w) => w.id === fromReplica)).toMatchObject({ site: null, owner: "host:/data" });
        expect((await store.workers.liveOfSite("gamma")).map((w) => w.id)).toEqual([fromSite]);
      });

      it("revokes a site's pilot tokens no agent held lately and no live worker uses, and none while a live worker's is unknown", async () => {
        const { auth, workers } = store;
        const userId = await auth.ensureUser("site:delta", "user");
        const token = async () => {
          const t = await auth.createToken(userId, "pilot", "pilots of site delta", { site: "delta" });
          return (await auth.sitePilotTokenId(t, "delta"))!;
        };
        const [held, stale, usedLive, usedEnded, never] = [await token(), await token(), await token(), await token(), await token()];
        expect(await auth.holdSitePilotToken(stale, "delta")).toBe(true);
        const since = Date.now() + 1;
        await new Promise((r) => setTimeout(r, 5));
        expect(await auth.holdSitePilotToken(held, "delta")).toBe(true);
        expect(await auth.holdSitePilotToken(held, "epsilon")).toBe(false);
        const live = await workers.create("delta/cpu", "slurm", { site: "delta", pilotTokenId: usedLive });
        const ended = await workers.create("delta/cpu", "slurm", { site: "delta", pilotTokenId: usedEnded });
        await workers.end(ended, "its slurm job ended");
        const unknown = await workers.create("delta/cpu", "slurm", { site: "delta", pilotTokenId: null });
        expect(await auth.retireSitePilotTokens("delta", since)).toBe(0);
        await workers.end(unknown, "its slurm job ended");
        expect(await auth.retireSitePilotTokens("delta", since)).toBe(3);
        const valid = (await auth.listTokens(userId, false)).map((t) => t.id).sort((a, b) => a - b);
        expect(valid).toEqual([held, usedLive].sort((a, b) => a - b));
        expect([stale, usedEnded, never].map((id) => valid.includes(id))).toEqual([false, false, false]);
        expect(await auth.holdSitePilotToken(stale, "delta")).toBe(false);
        await workers.end(live, "its slurm job ended");
        expect(await auth.retireSitePilotTokens("delta", since)).toBe(1);
      });

      it("moves a running task's waiting jobs to another queue, and only from the queue it is on", async () => {
        const { queue, taskId } = await running(2);
        const other = newQueue();
        expect(await store.placement.queuedOn([queue])).toEqual([expect.objectContaining({ id: taskId, queue })]);
        expect(await store.placement.move(taskId, other, queue)).toBe(false);
        expect(await store.placement.move(taskId, queue, other)).toBe(true);
        expect(await store.placement.queuedOn([queue])).toEqual([]);
        const p = await pilot(other);
        expect((await store.dispatch.claim(p, other, 5)).map((j) => j.taskId)).toEqual([taskId, taskId]);
      });

      it("finds and moves a job retried on the queue its task was moved off (its pilot was lost after the move)", async () => {
        const { queue, taskId, pilotId } = await running(2, 2);
        const other = newQueue();
        const held = await claimOne(pilotId, queue);
        expect(await store.placement.move(taskId, queue, other)).toBe(true);
        // The pilot that held a job is lost now: the job waits again on the queue it ran from.
        const lost = await store.dispatch.apply(null, [report(held, "failed", { error: { code: "lost_heartbeat", message: "silent" } })], "server");
        expect(lost).toMatchObject({ accepted: 1, requeued: [queue] });
        expect(await store.placement.queuedOn([queue])).toEqual([expect.objectContaining({ id: taskId, queue })]);
        expect(await store.placement.move(taskId, queue, other)).toBe(true);
        expect(await store.placement.queuedOn([queue])).toEqual([]);
        const p = await pilot(other);
        expect((await store.dispatch.claim(p, other, 5)).map((j) => j.jobId).sort()).toContain(held.jobId);
      });
    });

    describe("retry of a pending task", () => {
      it("queues a stopped pending task's jobs again as pending, and brokerage places it later", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const p = await pilot(queue);
        const { id: taskId } = await addTask(task(workflowId, 0, null, 2));
        const suspended = await store.workflows.suspend(workflowId, "the driver stopped");
        expect(suspended?.tasks).toEqual([expect.objectContaining({ taskId, status: "cancelled", ended: true })]);
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "cancelled", nCancelled: 2 });
        expect(await store.placement.pending()).not.toContainEqual(expect.objectContaining({ id: taskId }));

        expect(await store.tasks.retry(taskId)).toBe(2);
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "pending", nCancelled: 0, endedAt: null, queue: "" });
        expect(await store.placement.pending()).toContainEqual(expect.objectContaining({ id: taskId }));
        expect(await store.placement.place(taskId, queue)).toBe(true);
        const jobs = await store.dispatch.claim(p, queue, 5);
        expect(jobs.map((j) => [j.taskId, j.attempt])).toEqual([
          [taskId, 1],
          [taskId, 1],
        ]);
      });

      it("gives a resumed driver its pending task back, still pending", async () => {
        const workflowId = await newWorkflow();
        const { id: taskId } = await addTask(task(workflowId, 0, null));
        await store.workflows.suspend(workflowId, "the driver stopped");
        expect(await store.workflows.resume(workflowId)).toBe(true);
        expect(await store.tasks.addTask(task(workflowId, 0, null), [])).toMatchObject({ kind: "attached", id: taskId, resumed: 1 });
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "pending", nCancelled: 0 });
      });

      it("retries a task only while its workflow is suspended", async () => {
        const { queue, workflowId, taskId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        await store.dispatch.apply(pilotId, [report(job, "failed", { error: { code: "user_error", message: "boom" } })], "rest");
        expect(await store.taskReads.get(taskId)).toMatchObject({ status: "failed" });
        expect(await store.tasks.retry(taskId)).toBe("refused");
        await store.workflows.suspend(workflowId, "the driver stopped");
        expect(await store.tasks.retry(taskId)).toBe(1);
        expect(await jobRow(job.jobId)).toMatchObject({ state: "activated", failures: 0, result: null, done_seq: null });
        expect(await store.tasks.retry(taskId)).toBe(0);
      });

      it("keeps a closed workflow running while a task it kept waits for a queue", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const { id: taskId } = await addTask(task(workflowId, 0, null));
        const closed = await store.workflows.close(workflowId, { body: "returned", result: "1", error: null, keep: [taskId] });
        expect(closed).toMatchObject({ status: "running", tasks: [] });
        expect(await final(workflowId)).toMatchObject({ status: "running", endedAt: null });
        // Placed and run at last, the task ends the workflow.
        await store.placement.place(taskId, queue);
        const p = await pilot(queue);
        const job = await claimOne(p, queue);
        const done = await store.dispatch.apply(p, [report(job, "finished", { result: "1" })], "rest");
        expect(done.tasks).toEqual([expect.objectContaining({ taskId, status: "done", ended: true })]);
        await store.workflows.settleConcurrentCloses([workflowId]);
        expect(await final(workflowId)).toMatchObject({ status: "finished" });
      });

      it("settles after a task's end only a workflow closed and not ended: an open one is left to its own close", async () => {
        const { queue, workflowId, pilotId } = await running(1);
        const job = await claimOne(pilotId, queue);
        await store.dispatch.apply(pilotId, [report(job, "finished", { result: "1" })], "rest");
        expect(await store.workflows.settleConcurrentCloses([workflowId])).toBe(false);
        const closed = await store.workflows.close(workflowId, { body: "returned", result: "1", error: null, keep: [] });
        expect(closed).toMatchObject({ status: "finished" });
        expect(await store.workflows.settleConcurrentCloses([workflowId])).toBe(false);
        expect(await final(workflowId)).toMatchObject({ status: "finished" });
      });
    });

    describe("the monitor's reads of objectives and job values", () => {
      it("keeps a task's declared objective, and pages a task's and a workflow's job values", async () => {
        const queue = newQueue();
        const workflowId = await newWorkflow();
        const objective = { name: "chi2", direction: "minimize" as const };
        const first = await addTask({ ...task(workflowId, 0, queue, 3), objective });
        const second = await addTask(task(workflowId, 1, queue, 1));
        expect((await store.taskReads.get(first.id))?.objective).toEqual(objective);
        expect((await store.taskReads.get(second.id))?.objective).toBeNull();
        const p = await pilot(queue);
        const jobs = await store.dispatch.claim(p, queue, 4);
        const done = (j: DispatchedJob, result: string) => report(j, "finished", { startedAt: 1, endedAt: 2, result });
        await store.dispatch.apply(p, [done(jobs[0]!, '{"chi2":3}'), done(jobs[1]!, '{"chi2":1}'), done(jobs[3]!, "5")], "rest");
        const results = await store.monitor.finishedResults(workflowId, 10);
        expect(results.map((t) => t.objective)).toEqual([objective, null]);

        const page1 = await store.jobValues.ofTask(first.id, undefined, 0, 2);
        expect(page1.map((j) => [j.index, j.args, j.result])).toEqual([
          [0, "[0]", '{"chi2":3}'],
          [1, "[1]", '{"chi2":1}'],
        ]);
        expect((await store.jobValues.ofTask(first.id, undefined, 2, 2)).map((j) => [j.index, j.state, j.result])).toEqual([[2, "sent", null]]);
        expect((await store.jobValues.ofTask(first.id, ["finished"], 0, 10)).map((j) => j.index)).toEqual([0, 1]);
        const finished = await store.jobValues.finishedOfWorkflow(workflowId, 0, 10);
        expect(finished.map((j) => [j.taskId, j.result])).toEqual([
          [first.id, '{"chi2":3}'],
          [first.id, '{"chi2":1}'],
          [second.id, "5"],
        ]);
        expect(await store.jobValues.finishedOfWorkflow(workflowId, finished[2]!.id + 1, 10)).toEqual([]);
      });

      it("leaves out arguments too long to show as cells, without reading them", async () => {
        const workflowId = await newWorkflow();
        const long = `["${"x".repeat(MAX_VALUE_SOURCE_CHARS)}"]`;
        const t = await addTask({ ...task(workflowId, 0, newQueue(), 0), jobs: [{ key: "a", args: long }, { key: "b", args: '["short"]' }] });
        expect((await store.jobValues.ofTask(t.id, undefined, 0, 10)).map((j) => j.args)).toEqual([null, '["short"]']);
      });
    });

    describe("workflow lifecycle", () => {
      it("keeps a killed workflow as it was killed: a late close, task or heartbeat changes nothing", async () => {
        const id = await newWorkflow();
        await addTask(task(id, 0, "local"));
        const killed = await store.workflows.kill(id);
        expect(killed?.status).toBe("cancelled");
        const before = await final(id);
        expect(before.endedAt).not.toBeNull();

        const closed = await store.workflows.close(id, { body: "returned", result: "42", error: null, keep: [] });
        expect(closed).toMatchObject({ status: "cancelled", tasks: [] });
        expect(await store.tasks.addTask(task(id, 1, "local"), [])).toEqual({ kind: "refused", status: "cancelled", closed: true });
        await store.workflows.driverHeartbeat(id);
        expect(await store.workflows.suspend(id, "late")).toBeUndefined();
        expect(await store.workflows.resume(id)).toBe(false);
        expect((await store.workflows.kill(id))?.alreadyEnded).toBe(true);
        expect(await final(id)).toEqual(before);
      });

      it("records a step while its workflow is deleted either before the deletion, which removes it, or not at all", async () => {
        const id = await newWorkflow();
        await store.workflows.close(id, { body: "returned", result: "1", error: null, keep: [] });
        await newWorkflow(); // SQLite keeps the newest workflow; this one is no longer it
        const puts = Array.from({ length: 8 }, (_, seq) => store.workflows.putStep(id, seq, "s", String(seq)));
        const [deleted, ...stored] = await Promise.all([store.archive.delete(id), ...puts]);
        expect(deleted).toMatchObject({ workflows: 1 });
        for (const [seq, step] of stored.entries()) expect([undefined, { name: "s", value: String(seq) }]).toContainEqual(step);
        expect(await store.workflows.steps(id)).toEqual([]);
        expect(await store.workflows.putStep(id, 9, "s", "late")).toBeUndefined();
      });

      it("keeps an ended workflow's final status: its tasks are not retried, and a changed task changes nothing", async () => {
        const id = await newWorkflow();
        const t = await addTask(task(id, 0, "local"));
        // The body returns; its unfinished task is cancelled and the workflow ends failed (no task succeeded).
        await store.workflows.close(id, { body: "returned", result: "1", error: null, keep: [] });
        const before = await final(id);
        expect(before.status).toBe("failed");
        expect(await store.tasks.retry(t.id)).toBe("refused");
        await target.ctx.db.updateTable("tasks").set({ status: "done" }).where("id", "=", t.id).execute();
        await store.workflows.refreshIfClosed([id]);
        expect(await final(id)).toEqual(before);
      });

      it("suspends a running local workflow: no task, no close, no heartbeat until it is resumed", async () => {
        const id = await newWorkflow();
        const t = await addTask(task(id, 0, "local"));
        const suspended = await store.workflows.suspend(id, "the driver was stopped by SIGINT");
        expect(suspended?.status).toBe("suspended");
        const wf = (await store.workflows.get(id))!;
        expect(wf).toMatchObject({ status: "suspended", endedAt: null, suspendReason: "the driver was stopped by SIGINT" });
        expect(wf.tasks[0]).toMatchObject({ status: "cancelled", nCancelled: 1 });
        expect(await store.workflows.silentDrivers(Date.now() + 1000)).not.toContain(id);
        expect(await store.tasks.addTask(task(id, 1, "local"), [])).toEqual({ kind: "refused", status: "suspended", closed: false });
        expect(await store.workflows.close(id, { body: "returned", result: "1", error: null, keep: [] })).toMatchObject({
          status: "suspended",
          tasks: [],
        });

        // Resumed: the driver's call attaches to its task, whose stopped job is queued again.
        expect(await store.workflows.resume(id)).toBe(true);
        expect(await store.tasks.addTask(task(id, 0, "local"), [])).toMatchObject({ kind: "attached", id: t.id, resumed: 1 });
        const after = (await store.workflows.get(id))!;
        expect(after).toMatchObject({ status: "running", suspendedAt: null, suspendReason: null });
        expect(after.tasks[0]).toMatchObject({ status: "running", nCancelled: 0 });
      });

      it("refuses a call that is not the one a re-run driver made before", async () => {
        const id = await newWorkflow();
        await addTask(task(id, 0, "local"));
        const other = { ...task(id, 0, "local"), argsHash: "another" };
        expect(await store.tasks.addTask(other, [])).toEqual({ kind: "mismatch", work: "w", argsHash: "h0" });
      });

      it("lets one of a kill and a close racing each other win, never a mix of both", async () => {
        for (let i = 0; i < 20; i++) {
          const id = await newWorkflow();
          await addTask(task(id, 0, "local"));
          const [closed, killed] = await Promise.all([
            store.workflows.close(id, { body: "returned", result: `"r${i}"`, error: null, keep: [] }),
            store.workflows.kill(id),
          ]);
          const wf = await final(id);
          if (killed?.alreadyEnded) {
            // The close came first and ended the workflow: it keeps the close's outcome.
            expect(wf).toMatchObject({ status: closed?.status, result: `"r${i}"` });
          } else {
            expect(wf).toMatchObject({ status: "cancelled", result: null });
          }
          expect(wf.endedAt).not.toBeNull();
        }
      });
    });
  });
}

// The workflow store itself refuses late writes: whatever route, timer or driver calls it, an ended workflow's
// status, end time and result never change, and a killed or suspended one takes no task. Run on SQLite and,
// in the PostgreSQL matrix, on PostgreSQL, where kill and close really run side by side.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../src/store/store.js";
import type { NewTask } from "../src/store/task-store.js";
import { freshDatabase } from "./helpers/cluster.js";

const BUNDLE = "b".repeat(64);

describe("the store's lifecycle rules", () => {
  let store: Store;
  let dir: string;
  let userId: number;
  const database = freshDatabase();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pando-wf-store-"));
    const limits = { maxSystemRetries: 10 };
    store = database ? await Store.openPostgres({ url: database.url }, limits) : await Store.openSqlite({ path: join(dir, "pando.db") }, limits);
    userId = await store.auth.ensureUser("someone", "user");
    await store.bundles.put(BUNDLE, new Uint8Array([1]));
  });
  afterAll(async () => {
    await store?.close();
    database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

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
  const task = (workflowId: number, seq: number, queue = "local"): NewTask => ({
    workflowId,
    work: "w",
    bundleHash: BUNDLE,
    seq,
    queue,
    priority: 0,
    maxAttempts: 1,
    channel: `c${workflowId}.${seq}`,
    resultKey: "k",
    argsHash: `h${seq}`,
    jobs: [{ key: "j", args: "[]" }],
  });
  const addTask = (workflowId: number, seq: number, queue?: string) =>
    store.tasks.addTask(task(workflowId, seq, queue), async () => undefined);
  const final = async (id: number) => {
    const wf = (await store.workflows.get(id))!;
    return { status: wf.status, endedAt: wf.endedAt, result: wf.result, error: wf.error };
  };

  it("keeps a killed workflow as it was killed: a late close, task or heartbeat changes nothing", async () => {
    const id = await newWorkflow();
    expect((await addTask(id, 0)).kind).toBe("created");
    const killed = await store.workflows.kill(id);
    expect(killed?.status).toBe("cancelled");
    const before = await final(id);
    expect(before.endedAt).not.toBeNull();

    const closed = await store.workflows.close(id, { body: "returned", result: "42", error: null, keep: [] });
    expect(closed).toMatchObject({ status: "cancelled", tasks: [] });
    expect(await addTask(id, 1)).toEqual({ kind: "refused", status: "cancelled", closed: true });
    await store.workflows.driverHeartbeat(id);
    expect(await store.workflows.suspend(id, "late")).toBeUndefined();
    expect(await store.workflows.resume(id)).toBe(false);
    expect((await store.workflows.kill(id))?.alreadyEnded).toBe(true);
    expect(await final(id)).toEqual(before);
  });

  it("keeps an ended workflow's final status: its tasks are not retried, and a changed task changes nothing", async () => {
    const id = await newWorkflow();
    const t = await addTask(id, 0);
    if (t.kind !== "created") throw new Error(`unexpected ${t.kind}`);
    // The body returns; its unfinished task is cancelled and the workflow ends failed (no task succeeded).
    await store.workflows.close(id, { body: "returned", result: "1", error: null, keep: [] });
    const before = await final(id);
    expect(before.status).toBe("failed");
    expect(await store.ctx.db.transaction().execute((trx) => store.tasks.retry(trx, t.id, Date.now()))).toBe("refused");
    await store.ctx.db.updateTable("tasks").set({ status: "done" }).where("id", "=", t.id).execute();
    await store.workflows.refreshIfClosed([id]);
    expect(await final(id)).toEqual(before);
  });

  it("suspends a running local workflow: no task, no close, no heartbeat until it is resumed", async () => {
    const id = await newWorkflow();
    const t = await addTask(id, 0);
    if (t.kind !== "created") throw new Error(`unexpected ${t.kind}`);
    const suspended = await store.workflows.suspend(id, "the driver was stopped by SIGINT");
    expect(suspended?.status).toBe("suspended");
    const wf = (await store.workflows.get(id))!;
    expect(wf).toMatchObject({ status: "suspended", endedAt: null, suspendReason: "the driver was stopped by SIGINT" });
    expect(wf.tasks[0]).toMatchObject({ status: "cancelled", nCancelled: 1 });
    expect(await store.workflows.silentDrivers(Date.now() + 1000)).not.toContain(id);
    expect(await addTask(id, 1)).toEqual({ kind: "refused", status: "suspended", closed: false });
    expect(await store.workflows.close(id, { body: "returned", result: "1", error: null, keep: [] })).toMatchObject({
      status: "suspended",
      tasks: [],
    });

    // Resumed: the driver's call attaches to its task, whose stopped job is queued again.
    expect(await store.workflows.resume(id)).toBe(true);
    expect(await addTask(id, 0)).toMatchObject({ kind: "attached", id: t.id, resumed: 1 });
    const after = (await store.workflows.get(id))!;
    expect(after).toMatchObject({ status: "running", suspendedAt: null, suspendReason: null });
    expect(after.tasks[0]).toMatchObject({ status: "running", nCancelled: 0 });
  });

  it("never lets a pilot's report committed after a kill or suspension bring a stopped job back", async () => {
    const id = await newWorkflow();
    // A queue of its own, so that the pilot claims this task's job.
    const t = await addTask(id, 0, "race");
    if (t.kind !== "created") throw new Error(`unexpected ${t.kind}`);
    const pilot = await store.dispatch.registerPilot({ queue: "race", name: "p", host: "h", pid: 1, slots: 1, version: "v" });
    const [job] = await store.dispatch.claim(pilot, "race", 1);
    expect(job?.taskId).toBe(t.id);
    // The suspension holds its transaction open while the pilot reports the job running.
    let report: Promise<unknown> | undefined;
    await store.ctx.db.transaction().execute(async (trx) => {
      await store.tasks.kill(trx, t.id, Date.now(), { code: "suspended", message: "the workflow was suspended" });
      report = store.dispatch.apply(pilot, [{ jobId: job!.jobId, attempt: job!.attempt, state: "running", startedAt: Date.now() }], "rest");
      await new Promise((r) => setTimeout(r, 300));
    });
    await report;
    const row = await store.ctx.db.selectFrom("jobs").select(["state", "kill_requested"]).where("id", "=", job!.jobId).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "cancelled", kill_requested: 1 });
    expect((await store.dispatch.held(pilot)).commands).toEqual([{ kind: "kill", jobId: job!.jobId, attempt: job!.attempt }]);
  });

  it("lets one of a kill and a close racing each other win, never a mix of both", async () => {
    for (let i = 0; i < 20; i++) {
      const id = await newWorkflow();
      await addTask(id, 0);
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

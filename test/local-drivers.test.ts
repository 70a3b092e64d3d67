// Local drivers (`pando run`) steered from outside: killed, retried, interrupted with Ctrl-C, lost, resumed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, freshDatabase, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { scrape } from "./helpers/prometheus.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/local-drivers.ts";
const DRIVER_HEARTBEAT_TIMEOUT = "2s";

/** Executions of each step, from the markers its jobs left: step index → count. */
function executions(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(dir)) return counts;
  for (const f of readdirSync(dir)) {
    if (f === "open") continue;
    const i = Number(f.split("-")[0]);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return counts;
}

/** What must never change once a workflow has ended. */
const finalFields = (wf: { status: string; endedAt: number | null; result: string | null; error: unknown }) => ({
  status: wf.status,
  endedAt: wf.endedAt,
  result: wf.result,
  error: wf.error,
});

describe("local drivers: kill, retry, interrupt and resume", () => {
  let cluster: Cluster;
  let dir: string;

  const driver = (target: string, args: string[], extra: string[] = []) =>
    runDriver(`${FIXTURE}#${target}`, args, { url: cluster.url, token: cluster.credentials.userToken, extra });
  const workflowOf = async (id: number) => (await cluster.api("GET", `/api/v1/workflows/${id}`)).body;
  const pando = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args, "--server", cluster.url, "--token", cluster.credentials.userToken], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    cluster = await startCluster({
      pilots: 2,
      serverArgs: ["--heartbeat-interval", "300ms", "--heartbeat-timeout", "3s", "--driver-heartbeat-timeout", DRIVER_HEARTBEAT_TIMEOUT],
    });
    dir = mkdtempSync(join(tmpdir(), "pando-local-drivers-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a kill ends a driver that keeps submitting at once; the ended workflow takes no task and never changes", async () => {
    const markers = join(dir, "kill-submitting");
    const run = driver("submitter", [markers, "40", "200", "50"]);
    const id = await run.started;
    await until("two steps to have run", () => ((executions(markers).get(1) ?? 0) > 0 ? true : undefined));
    const killed = await cluster.api("POST", `/api/v1/workflows/${id}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body.status).toBe("cancelled");
    expect(killed.body.endedAt).not.toBeNull();

    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`workflow ${id} was killed`);

    // Nothing the driver did after the kill reached the server: no new task, the same final state.
    const after = await workflowOf(id);
    expect(after.tasks.map((t: { id: number }) => t.id)).toEqual(killed.body.tasks.map((t: { id: number }) => t.id));
    expect(finalFields(after)).toEqual(finalFields(killed.body));

    // The old driver's late calls are refused or change nothing.
    const task = await cluster.api("POST", `/api/v1/workflows/${id}/tasks`, {
      work: "step",
      bundleHash: after.bundleHash,
      jobs: [{ key: "late", args: "[]" }],
    });
    expect(task.status).toBe(409);
    expect(task.body.error.message).toContain(`workflow ${id} was killed`);
    const close = await cluster.api("POST", `/api/v1/workflows/${id}/close`, { outcome: "returned", result: "42" });
    expect(close.status).toBe(200);
    expect(finalFields(close.body)).toEqual(finalFields(killed.body));
    const heartbeat = await cluster.api("POST", `/api/v1/workflows/${id}/heartbeat`, {});
    expect(heartbeat.body).toMatchObject({ open: false, status: "cancelled" });
    expect(finalFields(await workflowOf(id))).toEqual(finalFields(killed.body));
  });

  it("a driver's heartbeat long-poll answers the kill, suspension or close of its workflow when it comes", async () => {
    // Without a wake-up, the long-poll would answer when its wait ends, with the state it read first: running.
    const heartbeat = (id: number) => cluster.api("POST", `/api/v1/workflows/${id}/heartbeat`, { waitMs: 30_000 });
    for (const [how, end, status] of [
      ["kill", (id: number) => cluster.api("POST", `/api/v1/workflows/${id}/kill`), "cancelled"],
      ["suspend", (id: number) => cluster.api("POST", `/api/v1/workflows/${id}/suspend`, { reason: "test" }), "suspended"],
      ["close", (id: number) => cluster.api("POST", `/api/v1/workflows/${id}/close`, { outcome: "returned", result: "1" }), "finished"],
    ] as const) {
      const id = (await cluster.api("POST", "/api/v1/workflows", { name: `heartbeat-${how}` })).body.id as number;
      const waiting = heartbeat(id);
      await until("the heartbeat to be held", async () => ((await scrape(cluster.api)).value("pando_long_polls", { kind: "driver_heartbeat" }) > 0 ? true : undefined));
      expect((await end(id)).status).toBe(200);
      expect((await waiting).body, how).toMatchObject({ status });
    }
  });

  it("a kill ends a driver whose body is busy elsewhere, without waiting for its next call", async () => {
    const markers = join(dir, "kill-busy");
    // After its first step the body rests for ten minutes: only the kill can end this run in time.
    const run = driver("submitter", [markers, "3", "0", "600000"]);
    const id = await run.started;
    await until("the first step to end", async () => ((await workflowOf(id)).tasks[0]?.status === "done" ? true : undefined));
    expect((await cluster.api("POST", `/api/v1/workflows/${id}/kill`)).status).toBe(200);
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`workflow ${id} was killed`);
    expect((await workflowOf(id)).status).toBe("cancelled");
  });

  it("refuses to retry an ended local workflow or its tasks, saying why", async () => {
    const markers = join(dir, "retry-ended");
    const run = driver("submitter", [markers, "3", "60000", "0"]);
    const id = await run.started;
    await until("the first step to start", () => (executions(markers).size > 0 ? true : undefined));
    const killed = (await cluster.api("POST", `/api/v1/workflows/${id}/kill`)).body;
    await run;
    const retry = await cluster.api("POST", `/api/v1/workflows/${id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toMatch(new RegExp(`workflow ${id} has ended \\(cancelled\\).*nobody would read`));
    const taskRetry = await cluster.api("POST", `/api/v1/tasks/${killed.tasks[0].id}/retry`);
    expect(taskRetry.status).toBe(409);
    expect(taskRetry.body.error.message).toMatch(new RegExp(`workflow ${id} has ended \\(cancelled\\)`));
    const cli = pando(["retry", String(id)]);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/^pando: workflow \d+ has ended \(cancelled\)/);
    // Nothing ran again.
    const after = await workflowOf(id);
    expect(finalFields(after)).toEqual(finalFields(killed));
    expect(after.tasks.map((t: { status: string }) => t.status)).toEqual(["cancelled"]);
  });

  it("Ctrl-C suspends the workflow with the reason; --resume finishes it without running finished calls again", async () => {
    const markers = join(dir, "interrupt");
    const args = [markers, "4", "2"];
    const started = Date.now();
    const run = driver("resumable", args);
    const id = await run.started;
    await until("step 2 to start", () => ((executions(markers).get(2) ?? 0) > 0 ? true : undefined));
    // A retry while the driver runs is refused: the driver has the outcomes of the ended calls already.
    const early = await cluster.api("POST", `/api/v1/workflows/${id}/retry`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain("its driver is running");
    run.proc.kill("SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`workflow ${id} suspended`);
    expect(r.stderr).toContain(`--resume ${id}`);

    const wf = await workflowOf(id);
    expect(wf.status).toBe("suspended");
    expect(wf.endedAt).toBeNull();
    expect(wf.suspendReason).toContain("SIGINT");
    expect(wf.suspendedAt).toBeGreaterThanOrEqual(started);
    expect(wf.tasks.map((t: { status: string }) => t.status)).toEqual(["done", "done", "cancelled"]);
    // The interrupted job was stopped on its pilot, and says why.
    const jobs = await cluster.api("GET", `/api/v1/tasks/${wf.tasks[2].id}/jobs`);
    const job = await until("the pilot to stop the interrupted job", async () => {
      const j = (await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`)).body;
      return j.attempts[0]?.state === "cancelled" ? j : undefined;
    });
    expect(job.error.code).toBe("suspended");

    const ls = pando(["ls", "--status", "suspended"]);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${id}\\s+resumable\\s+\\S+\\s+suspended`, "m"));
    const show = pando(["show", String(id)]);
    expect(show.stdout).toMatch(/status\s+suspended/);
    expect(show.stdout).toMatch(/suspended\s+.*SIGINT/);
    // A suspended workflow is not pruned: it has not ended.
    const prune = await cluster.api("DELETE", `/api/v1/workflows/${id}`);
    expect(prune.status).toBe(409);

    writeFileSync(join(markers, "open"), "");
    const resumed = await driver("resumable", args, ["--resume", String(id)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.value).toEqual([0, 1, 4, 9]);
    expect(executions(markers)).toEqual(
      new Map([
        [0, 1],
        [1, 1],
        [2, 2],
        [3, 1],
      ]),
    );
    const done = await workflowOf(id);
    expect(done.status).toBe("finished");
    expect(done.suspendReason).toBeNull();
    expect(done.tasks.map((t: { id: number }) => t.id).slice(0, 3)).toEqual(wf.tasks.map((t: { id: number }) => t.id));
  });

  it("a driver killed with SIGKILL leaves its workflow resumable after the heartbeat timeout; retry then resume", async () => {
    const markers = join(dir, "sigkill");
    const args = [markers, "3", "1"];
    const run = driver("resumable", args);
    const id = await run.started;
    await until("step 1 to start", () => ((executions(markers).get(1) ?? 0) > 0 ? true : undefined));
    run.proc.kill("SIGKILL");
    await run;
    const wf = await until("the server to find the driver lost", async () => {
      const w = await workflowOf(id);
      return w.status === "suspended" ? w : undefined;
    });
    expect(wf.suspendReason).toContain("no heartbeat");
    expect(wf.endedAt).toBeNull();
    expect(wf.tasks.map((t: { status: string }) => t.status)).toEqual(["done", "cancelled"]);

    // While the driver is away its interrupted call can be retried; the resumed driver reads that run's result.
    writeFileSync(join(markers, "open"), "");
    const retry = await cluster.api("POST", `/api/v1/tasks/${wf.tasks[1].id}/retry`);
    expect(retry.status).toBe(200);
    expect(retry.body.retried).toBe(1);
    await until("the retried call to end", async () => ((await workflowOf(id)).tasks[1].status === "done" ? true : undefined));
    const resumed = await driver("resumable", args, ["--resume", String(id)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.value).toEqual([0, 1, 4]);
    expect(executions(markers)).toEqual(
      new Map([
        [0, 1],
        [1, 2],
        [2, 1],
      ]),
    );
    expect((await workflowOf(id)).status).toBe("finished");
  });

  it("a kill of a suspended workflow ends it cancelled, and it cannot be resumed any more", async () => {
    const markers = join(dir, "kill-suspended");
    const args = [markers, "2", "1"];
    const run = driver("resumable", args);
    const id = await run.started;
    await until("step 1 to start", () => ((executions(markers).get(1) ?? 0) > 0 ? true : undefined));
    run.proc.kill("SIGINT");
    expect((await run).code).toBe(130);
    expect((await workflowOf(id)).status).toBe("suspended");
    const killed = await cluster.api("POST", `/api/v1/workflows/${id}/kill`);
    expect(killed.body.status).toBe("cancelled");
    const resumed = await driver("resumable", args, ["--resume", String(id)]);
    expect(resumed.code).not.toBe(0);
    expect(resumed.stderr).toContain(`workflow ${id} is closed (cancelled) and cannot be resumed`);
    expect(finalFields(await workflowOf(id))).toEqual(finalFields(killed.body));
  });

  it("cancel() of a call whose task id is not known yet ends it with a JobError of code killed", async () => {
    const r = await driver("cancelledEarly", [join(dir, "cancel-early")]);
    expect(r.value).toMatchObject({ idAtCancel: null, ended: "rejected", isJobError: true, name: "JobError", code: "killed" });
    expect((r.value as { taskId: unknown }).taskId).toEqual(expect.any(Number));
  });
});

describe("a local driver on the embedded server", () => {
  let dir: string;
  const database = freshDatabase();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pando-local-embedded-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    database?.drop();
  });

  it("Ctrl-C suspends it in the data directory, and --resume there finishes it", async () => {
    const markers = join(dir, "markers");
    const dataDir = join(dir, "data");
    const args = [markers, "3", "1"];
    const options = { dataDir, database: database?.url, extra: ["--pilots", "1"] };
    const run = runDriver(`${FIXTURE}#resumable`, args, options);
    const id = await run.started;
    await until("step 1 to start", () => ((executions(markers).get(1) ?? 0) > 0 ? true : undefined));
    run.proc.kill("SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`--resume ${id}`);
    writeFileSync(join(markers, "open"), "");
    const resumed = await runDriver(`${FIXTURE}#resumable`, args, { ...options, extra: [...options.extra, "--resume", String(id)] });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.value).toEqual([0, 1, 4]);
    expect(executions(markers).get(0)).toBe(1);
  });

  it("a second Ctrl-C exits at once with the interrupt's code", async () => {
    const markers = join(dir, "twice");
    const run = runDriver(`${FIXTURE}#resumable`, [markers, "2", "0"], {
      dataDir: join(dir, "data"),
      database: database?.url,
      extra: ["--pilots", "1"],
    });
    await run.started;
    await until("step 0 to start", () => (executions(markers).size > 0 ? true : undefined));
    run.proc.kill("SIGINT");
    run.proc.kill("SIGINT");
    const r = await run;
    expect(r.code).toBe(130);
  });
});

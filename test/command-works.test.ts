// Command works through real servers and pilots: a Python objective, its result and error rules, retries
// that a command can decline, and process hygiene (nothing a command started outlives its job).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/commands.ts";
const SCRIPT = join(ROOT, "test", "fixtures", "objective.py");

interface Outcome {
  ok: boolean;
  value?: unknown;
  code?: string;
  attempts?: number;
  exitCode?: number;
  message?: string;
  jobId?: number;
}

/** Whether a process is still running (a zombie waiting for its parent to reap it counts as ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The pids a sleeper command wrote: its shell, its child, and a grandchild in a session of its own. */
async function sleeperPids(dir: string, tag: string): Promise<number[]> {
  const files = ["shell", "child", "session"].map((f) => join(dir, `${tag}.${f}`));
  await until(`the ${tag} command to start`, () => (files.every((f) => existsSync(f) && readFileSync(f, "utf8").trim()) ? true : undefined), 60_000);
  const pids = files.map((f) => Number(readFileSync(f, "utf8").trim()));
  expect(pids.every(alive)).toBe(true);
  return pids;
}

const allGone = (pids: number[]) => until(`processes ${pids.join(", ")} to end`, () => (pids.some(alive) ? undefined : true), 20_000);

describe("command works on a cluster of pilots", () => {
  let cluster: Cluster;
  let dir: string;
  const run = (target: string, args: string[]) => runDriver(`${FIXTURE}#${target}`, args, { url: cluster.url, token: cluster.credentials.userToken });

  // These tests read the host pids the commands write into a directory of the test: their pilots run
  // without the sandbox, whose PID namespace and private /tmp would hide both (test/sandbox.test.ts kills a
  // sandboxed job's process tree).
  const sandboxWas = process.env.PANDO_SANDBOX;
  beforeAll(async () => {
    process.env.PANDO_SANDBOX = "none";
    cluster = await startCluster({ pilots: 1, slots: 2, queues: [{ name: "local" }, { name: "victim" }] });
    dir = mkdtempSync(join(tmpdir(), "pando-commands-"));
  });
  afterAll(async () => {
    if (sandboxWas === undefined) delete process.env.PANDO_SANDBOX;
    else process.env.PANDO_SANDBOX = sandboxWas;
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a Python objective: the result from $PANDO_RESULT or the last line, the output in the job's log", async () => {
    const r = await run("evaluate", [SCRIPT]);
    expect(r.code, r.stderr).toBe(0);
    const { values, taskId } = r.value as { values: unknown[]; taskId: number };
    expect(values).toEqual([
      { x: 0, loss: 4 },
      { x: 5, loss: 9 },
    ]);
    const jobs = (await cluster.api("GET", `/api/v1/tasks/${taskId}/jobs`)).body.jobs as Array<{ id: number; index: number }>;
    const first = (await cluster.api("GET", `/api/v1/jobs/${jobs.find((j) => j.index === 0)!.id}`)).body;
    expect(first.attempts[0].stdout).toBe("evaluating x=0 on attempt 1\nall done\n");
    expect(first.attempts[0].stderr).toBe("objective.py progress: x=0\n");
  });

  it("turns failures into job errors; a failure declared not retryable costs one attempt, others are retried", async () => {
    // The body returns every outcome; its workflow ends subfinished, so pando run exits 1.
    const r = await run("failures", [SCRIPT]);
    expect(r.value, r.stderr).toBeDefined();
    const v = r.value as Record<string, Outcome>;
    expect(v.transient).toMatchObject({ ok: false, code: "command_failed", exitCode: 2, attempts: 3 });
    expect(v.transient!.message).toBe(
      `the command \`python3 ${SCRIPT}\` exited with code 2; the end of its stderr:\nobjective.py progress: x=1\nthe licence server did not answer`,
    );
    expect(v.diverged).toMatchObject({ ok: false, code: "command_failed", exitCode: 3, attempts: 1 });
    expect(v.diverged!.message).toContain("exited with code 3 (not retried: exit code 3 is in the work's nonRetryableExitCodes)");
    expect(v.fatal).toMatchObject({ ok: false, code: "command_failed", exitCode: 87, attempts: 1 });
    expect(v.fatal!.message).toMatch(/\(not retried: the command declared its failure not retryable .*\n.*x=1 is outside the model's domain$/s);
    expect(v.tsNonRetryable).toMatchObject({ ok: false, code: "user_error", attempts: 1 });
    expect(v.tsNonRetryable!.message).toBe("x=-1 is outside the model's domain (not retried: the work threw a NonRetryableError)");
    expect(v.tsRetried).toMatchObject({ ok: false, code: "user_error", attempts: 3, message: "the cache was cold" });
    // Every attempt's output is in the job's log; the server stored the error's declaration too.
    const transient = (await cluster.api("GET", `/api/v1/jobs/${v.transient!.jobId}`)).body;
    expect(transient.attempts.map((a: { stdout: string }) => a.stdout)).toEqual([1, 2, 3].map((n) => `evaluating x=1 on attempt ${n}\n`));
    const fatal = (await cluster.api("GET", `/api/v1/jobs/${v.fatal!.jobId}`)).body;
    expect(fatal.attempts).toHaveLength(1);
    expect(fatal.error).toMatchObject({ code: "command_failed", exitCode: 87, nonRetryable: expect.stringMatching(/declared its failure not retryable/) });
  });

  it("runs the command after the work's initEnv, in the environment it leaves", async () => {
    const r = await run("withInitEnv", [SCRIPT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ x: 4, loss: 40 });
  });

  it("tells the command and the work's function the project's directory as their pilot unpacked it, and the driver its own", async () => {
    const r = await run("project", []);
    expect(r.code, r.stderr).toBe(0);
    const { job, driver } = r.value as { job: { env: string; fn: string }; driver: string };
    expect(driver).toBe(ROOT);
    expect(job.fn).toMatch(/\/projects\/[0-9a-f]{64}$/);
    expect(job.env).toBe(job.fn);
  });

  it("kills the command's whole process tree when the job is killed", async () => {
    const driver = run("sleeping", [dir]);
    const pids = await sleeperPids(dir, "killed");
    const workflowId = await driver.started;
    const wf = (await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body;
    expect((await cluster.api("POST", `/api/v1/tasks/${wf.tasks[0].id}/kill`)).status).toBe(200);
    await allGone(pids);
    const r = await driver;
    expect((r.value as Outcome).code).toBe("killed");
  });

  it("kills the command's whole process tree when the job runs past its walltime", async () => {
    const driver = run("overrun", [dir]);
    const pids = await sleeperPids(dir, "overtime");
    await allGone(pids);
    const r = await driver;
    expect(r.value).toMatchObject({ ok: false, code: "walltime_exceeded", attempts: 1 });
  });

  it("counts the memory of the command's processes against the job's memory", async () => {
    const r = await run("hogging", []);
    expect(r.value).toMatchObject({ ok: false, code: "out_of_memory", attempts: 1 });
    expect((r.value as Outcome).message).toMatch(/^the job's processes used \d+ MiB, over the 150 MiB it asked for, and were killed$/);
  });

  it("leaves no process of a command behind when its pilot dies", async () => {
    const pilot = cluster.startPilot("victim-1", 1, "victim");
    const driver = run("victim", [dir]);
    const pids = await sleeperPids(dir, "victim");
    pilot.proc.kill("SIGKILL");
    await allGone(pids);
    const workflowId = await driver.started;
    await cluster.api("POST", `/api/v1/workflows/${workflowId}/kill`);
    await driver;
  });
});

describe("command works on the embedded default of pando run", () => {
  it("runs the Python objective on the embedded server's own pilots", async () => {
    const data = mkdtempSync(join(tmpdir(), "pando-commands-embedded-"));
    try {
      const r = await runDriver(`${FIXTURE}#evaluate`, [SCRIPT], { dataDir: data, extra: ["--pilots", "1", "--slots", "2"] });
      expect(r.code, r.stderr).toBe(0);
      expect((r.value as { values: unknown[] }).values).toEqual([
        { x: 0, loss: 4 },
        { x: 5, loss: 9 },
      ]);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it("runs the HPO example with its Python objective: the same optimisation loop, a task of python3 jobs per iteration", async () => {
    const data = mkdtempSync(join(tmpdir(), "pando-commands-hpo-"));
    try {
      const r = await runDriver("examples/hpo/hpo.ts#optimize", ["2", "3", "1", "bayes", "150", "python"], {
        dataDir: data,
        extra: ["--pilots", "1", "--slots", "2"],
      });
      expect(r.code, r.stderr).toBe(0);
      const v = r.value as { objective: string; evaluations: number; bestAuc: number; history: Array<{ taskId: number; failed: number }> };
      expect(v.objective).toBe("python");
      expect(v.evaluations).toBe(6);
      expect(v.history.map((h) => h.failed)).toEqual([0, 0]);
      expect(v.bestAuc).toBeGreaterThan(0.7);
      expect(r.stderr).toMatch(/task 1 hpo\.evaluatePython: 3\/3 jobs finished, 0 failed/);
      expect(r.stderr).toMatch(/task 2 hpo\.evaluatePython: 3\/3 jobs finished, 0 failed/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

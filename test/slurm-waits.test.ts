// Work that cannot start says so: pilots the batch system holds pending show Slurm's reason on the worker,
// the queue, the task, the driver and the monitor; a queue no node can hold is refused at start-up; a
// stopping server leaves no batch job behind. On a real Slurm (scripts/services/slurm.sh), in Chromium.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { CLI, ROOT, runDriver, startCluster, type Cluster, type DriverRun } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/provisioning.ts";
const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
const SLURM_CONF = join(ROOT, ".pando", "services", "slurm", "slurm.conf");
const BEGIN_TIME = "BeginTime: its start time has not come (--begin)";

interface Worker {
  id: number;
  queue: string;
  batchId: string | null;
  pilotId: number | null;
  status: string;
  batchState: string | null;
  pendingReason: string | null;
}

/** The Slurm jobs of this file's queues still listed by squeue: id, name, state. */
const slurmJobs = () =>
  execFileSync("squeue", ["-h", "-o", "%i %j %T"], { env: { ...process.env, SLURM_CONF }, encoding: "utf8" })
    .split("\n")
    .filter((l) => / pando-(held|hpc) /.test(l));

/** Runs a `pando` client command against the cluster; its output and exit code. */
function pando(cluster: Cluster, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, "--server", cluster.url, "--token", cluster.credentials.userToken], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A queues file in a fresh directory. */
function queuesFile(queues: unknown[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "pando-slurm-waits-"));
  const file = join(dir, "queues.json");
  writeFileSync(file, JSON.stringify({ queues }));
  return { dir, file };
}

describe("work that cannot start on Slurm", () => {
  let cluster: Cluster;
  let browser: Browser | undefined;
  let markers: string;
  const drivers: DriverRun[] = [];
  const workersOf = async (queue: string) => ((await cluster.api("GET", "/api/v1/workers")).body as Worker[]).filter((w) => w.queue === queue);

  beforeAll(async () => {
    const up = spawnSync(SLURM, ["up"], { encoding: "utf8" });
    if (up.status !== 0) throw new Error(`scripts/services/slurm.sh up failed; Slurm is needed for these tests:\n${up.stderr}`);
    process.env.SLURM_CONF = SLURM_CONF;
    cluster = await startCluster({
      pilots: 0,
      queues: [
        { name: "local" },
        // Pilots of "held" are submitted to start an hour from now: Slurm holds them pending (BeginTime).
        {
          name: "held",
          backend: "slurm",
          cores: 1,
          maxPilots: 1,
          slotsPerPilot: 1,
          pilotIdle: "2s",
          slurm: { partition: "debug", extraArgs: ["--begin=now+1hour"] },
        },
        { name: "hpc", backend: "slurm", cores: 1, maxPilots: 1, slotsPerPilot: 1, pilotIdle: "30s", slurm: { partition: "debug" } },
      ],
    });
    // A pilot started by hand, with no provisioner behind it.
    cluster.startPilot("hand-1", 1, "local");
    markers = mkdtempSync(join(tmpdir(), "pando-slurm-waits-"));
  });

  afterAll(async () => {
    for (const d of drivers) d.proc.kill("SIGKILL");
    await Promise.allSettled(drivers);
    await browser?.close();
    await cluster?.stop();
    spawnSync(SLURM, ["down"]);
    if (markers) rmSync(markers, { recursive: true, force: true });
  });

  it("shows Slurm's pending reason on the worker, the queue, the task, the driver and the monitor, and clears it once the jobs run", async () => {
    const run = runDriver(`${FIXTURE}#held`, ["2", "1500"], { url: cluster.url, token: cluster.credentials.userToken });
    drivers.push(run);
    const workflowId = await run.started;

    // The worker: pending, with Slurm's reason.
    const worker = await until(
      "the held pilot to be pending in Slurm",
      async () => (await workersOf("held")).find((w) => w.batchState === "pending" && w.pendingReason !== null),
      30_000,
    );
    expect(worker).toMatchObject({ status: "submitted", pendingReason: BEGIN_TIME });
    expect(worker.batchId).toMatch(/^\d+$/);

    // The task: its queue, how many pilots, and the reason — in the task view and the workflow's.
    const expected = `the 1 pilot of queue 'held' is pending in Slurm — ${BEGIN_TIME}`;
    const taskId = await until("the task to show why it waits", async () => {
      const wf = await cluster.api("GET", `/api/v1/workflows/${workflowId}`);
      const t = (wf.body.tasks as Array<{ id: number; pendingReason: string | null }>)[0];
      return t?.pendingReason === expected ? t.id : undefined;
    });
    const task = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
    expect(task.body).toMatchObject({ status: "running", queue: "held", pendingReason: expected });

    // The queue, in the API and in `pando queues`; the hand-started pilot counts as a pilot of "local".
    const queues = (await cluster.api("GET", "/api/v1/queues")).body as Array<Record<string, unknown>>;
    expect(queues.find((q) => q.name === "held")).toMatchObject({ pilots: 0, startingPilots: 1, pendingPilots: 1, pendingReason: BEGIN_TIME });
    expect(queues.find((q) => q.name === "local")).toMatchObject({ pilots: 1, maxPilots: 0, startingPilots: 0 });
    const listed = pando(cluster, ["queues"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^local\s+local\s+online\s+1\s+any\s+any\s+1\s+-\s+by hand\s/m);
    expect(listed.stdout).toMatch(/^held\s+slurm\s+online\s+1\s+any\s+any\s+0\s+1 \(1 pending\)\s+1\s+2\s+0\s+1\s+-$/m);
    expect(listed.stdout).toContain(`held: 1 pilot pending in slurm — ${BEGIN_TIME}`);
    expect(listed.stdout).not.toContain("1/0");

    // `pando show --task` and `pando show <workflow>`.
    const shown = pando(cluster, ["show", "--task", String(taskId)]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`running: ${expected}`);
    expect(pando(cluster, ["show", String(workflowId)]).stdout).toContain("the 1 pilot of queue 'held' is pending in Slurm");

    // The monitor: the task page, the workflow page and the queues page.
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${cluster.url}/#token=${cluster.credentials.userToken}`);
    await page.getByRole("heading", { name: "Workflows" }).waitFor();
    await page.goto(`${cluster.url}/#/tasks/${taskId}`);
    await page.getByTestId("pending-reason").filter({ hasText: expected }).waitFor();
    await page.goto(`${cluster.url}/#/workflows/${workflowId}`);
    await page.getByTestId("task-pending-reason").filter({ hasText: expected }).waitFor();
    await page.goto(`${cluster.url}/#/queues`);
    await page.getByTestId("queue-pending").filter({ hasText: `1 pending in slurm: ${BEGIN_TIME}` }).waitFor();
    await page.getByTestId("worker-batch").filter({ hasText: `pending: ${BEGIN_TIME}` }).waitFor();
    const handRow = page.locator('[data-testid="queue-row"][data-name="local"]');
    expect(await handRow.locator("td").nth(6).textContent()).toBe("1");
    expect(await handRow.locator("td").nth(8).textContent()).toBe("by hand");

    // Let the job start now: the pilot registers, the jobs run, and the reason is gone — live, on the open page.
    await page.goto(`${cluster.url}/#/tasks/${taskId}`);
    await page.getByTestId("pending-reason").waitFor();
    execFileSync("scontrol", ["update", `JobId=${worker.batchId}`, "StartTime=now"], { env: { ...process.env, SLURM_CONF } });
    await until("the reason to clear once the jobs run", async () => {
      const t = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
      return t.body.pendingReason === null ? true : undefined;
    });
    await page.getByTestId("pending-reason").waitFor({ state: "detached" });
    await context.close();

    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`warning: task ${taskId} (onHeld) waits: ${expected}`);
    // Its pilot registered: the worker is no longer pending.
    const after = (await workersOf("held")).find((w) => w.id === worker.id)!;
    expect(after.pilotId).not.toBeNull();
    expect(after.pendingReason).toBeNull();
  });

  it("cancels the batch jobs of its pilots, pending and running, when the server stops", async () => {
    const dir = join(markers, "long");
    // The held queue's pilot of the test before leaves once idle: until then it would take this test's job.
    await until("the held pilot of the test before to leave", async () => ((await workersOf("held")).every((w) => w.status === "ended") ? true : undefined), 60_000);
    drivers.push(runDriver(`${FIXTURE}#survivor`, [JSON.stringify(dir), "120000"], { url: cluster.url, token: cluster.credentials.userToken }));
    drivers.push(runDriver(`${FIXTURE}#held`, ["1", "100"], { url: cluster.url, token: cluster.credentials.userToken }));
    await until("a job to run on a Slurm pilot", () => (existsSync(dir) && readdirSync(dir).length > 0 ? true : undefined), 60_000);
    await until("a held pilot pending in Slurm", async () => (await workersOf("held")).find((w) => w.batchState === "pending"), 30_000);
    const ours = slurmJobs();
    expect(ours.some((l) => / pando-hpc RUNNING$/.test(l))).toBe(true);
    expect(ours.some((l) => / pando-held PENDING$/.test(l))).toBe(true);

    await cluster.stopServer("SIGTERM");
    await until("squeue to list none of the server's jobs", () => (slurmJobs().length === 0 ? true : undefined), 30_000);
  });

  it("refuses to start with a queue no node can hold, in one line saying what the pilot asks, the largest node and what to change", () => {
    const { dir, file } = queuesFile([{ name: "local" }, { name: "huge", backend: "slurm", cores: 1024, maxPilots: 2, slotsPerPilot: 2 }]);
    try {
      const r = spawnSync(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dir, "--queues-file", file], {
        encoding: "utf8",
        env: { ...process.env, SLURM_CONF, PANDO_LOG_LEVEL: "warn" },
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).not.toContain("listening");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      const cpus = availableParallelism();
      expect(lines[0]).toMatch(
        new RegExp(
          "^pando: queue 'huge' can never start a pilot: each pilot asks Slurm for 2048 CPUs \\(cores 1024 × slotsPerPilot 2\\), " +
            `but the largest node of the default partition 'debug' \\(\\S+\\) has ${cpus} CPUs and 2000 MiB; ` +
            `change the queue so that cores × slotsPerPilot is at most ${cpus} \\(fewer slotsPerPilot, more maxPilots\\)`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("starts anyway, and says so, when sinfo cannot tell whether a queue fits", async () => {
    const { dir, file } = queuesFile([{ name: "local" }, { name: "huge", backend: "slurm", cores: 64, maxPilots: 2, slotsPerPilot: 2 }]);
    const server = spawn(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dir, "--queues-file", file], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SLURM_CONF: join(dir, "no-such-slurm.conf"), PANDO_LOG_LEVEL: "silent" },
    });
    let out = "";
    server.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    server.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
    try {
      await until("the server to listen", () => (out.includes("listening on") ? true : undefined), 30_000);
      expect(out).toMatch(/^pando: cannot check that the pilots of queue 'huge' fit a node \(sinfo failed: .+\); starting anyway/m);
    } finally {
      await new Promise<void>((done) => {
        server.once("exit", () => done());
        server.kill("SIGTERM");
      });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

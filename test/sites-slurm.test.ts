// A site agent whose queue is a real Slurm cluster: its pilots are batch jobs of the site, a batch job
// cancelled under its pilot has its jobs retried, and the agent killed and started again keeps the Slurm
// pilots that still run.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/sites.ts";
const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
const slurmEnv = () => ({ ...process.env, SLURM_CONF: join(ROOT, ".pando", "services", "slurm", "slurm.conf") });
const siteJobs = () =>
  execFileSync("squeue", ["-h", "-o", "%i %j %T"], { env: slurmEnv(), encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes("pando-hpc/batch"));

interface Worker {
  id: number;
  queue: string;
  batchId: string | null;
  status: string;
  reason: string | null;
  pilotId: number | null;
}

describe("a site agent on a real Slurm", () => {
  let cluster: Cluster;
  let dir: string;
  let queuesFile: string;
  let token: string;
  let agent: ChildProcess | undefined;

  const startAgent = () =>
    spawn(process.execPath, [CLI, "site", "--server", cluster.url, "--name", "hpc", "--queues-file", queuesFile, "--data-dir", dir, "--poll", "1s"], {
      stdio: "ignore",
      env: { ...slurmEnv(), PANDO_TOKEN: token, PANDO_LOG_LEVEL: "warn" },
    });
  const stopAgent = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (!agent || agent.exitCode !== null || agent.signalCode !== null) return resolve();
      agent.once("exit", () => resolve());
      agent.kill(signal);
    });
  const workers = async () => ((await cluster.api("GET", "/api/v1/workers")).body as Worker[]).filter((w) => w.queue === "hpc/batch");

  beforeAll(async () => {
    const up = spawnSync(SLURM, ["up"], { encoding: "utf8" });
    if (up.status !== 0) throw new Error(`scripts/services/slurm.sh up failed; Slurm is needed for these tests:\n${up.stderr}`);
    cluster = await startCluster({ pilots: 0, queues: [{ name: "local" }] });
    dir = mkdtempSync(join(tmpdir(), "pando-site-slurm-"));
    queuesFile = join(dir, "queues.json");
    const batch = {
      name: "batch",
      backend: "slurm",
      maxPilots: 2,
      slotsPerPilot: 1,
      pilotIdle: "3s",
      walltime: { max: "30m" },
      slurm: { partition: "debug" },
      pilotCommand: [process.execPath, CLI],
    };
    writeFileSync(queuesFile, JSON.stringify({ queues: [batch] }));
    const created = await cluster.api("POST", "/api/v1/tokens", { name: "hpc agent", site: "hpc" });
    token = created.body.token as string;
    agent = startAgent();
  });
  afterAll(async () => {
    try {
      await stopAgent("SIGTERM");
      await cluster?.stop();
      // Running pilots leave when idle, or with the server they cannot reach: none is left behind.
      await until("squeue to list none of the site's jobs", () => (siteJobs().length === 0 ? true : undefined), 60_000);
    } finally {
      spawnSync(SLURM, ["down"]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs a workflow's jobs on the Slurm pilots the agent submits", async () => {
    const r = await runDriver(`${FIXTURE}#hpc`, ["4", "500"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i)).toEqual([0, 1, 2, 3]);
    const wf = await cluster.api("GET", `/api/v1/workflows/${r.workflowId}`);
    const task = (wf.body.tasks as Array<{ id: number }>)[0]!;
    const jobs = (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs`)).body.jobs as Array<{ id: number }>;
    for (const j of jobs) {
      const job = await cluster.api("GET", `/api/v1/jobs/${j.id}`);
      expect(job.body.attempts.at(-1).pilot).toMatch(/^slurm-hpc\/batch-\d+$/);
    }
    expect((await workers()).every((w) => /^\d+$/.test(w.batchId ?? ""))).toBe(true);
  });

  it("a pilot's batch job cancelled while it holds a job: the job is retried, the workflow completes; the agent killed and started again keeps the pilots that run", async () => {
    const run = runDriver(`${FIXTURE}#hpc`, ["4", "4000"], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 120_000 });
    const busy = await until(
      "two Slurm pilots holding jobs",
      async () => {
        const live = (await workers()).filter((w) => w.status === "running" && w.pilotId !== null);
        return live.length === 2 ? live : undefined;
      },
      60_000,
    );
    // The agent is killed and started again: the Slurm pilots keep running, and it finds them.
    await stopAgent("SIGKILL");
    agent = startAgent();
    const [cancelled, kept] = busy as [Worker, Worker];
    execFileSync("scancel", [cancelled.batchId!], { env: slurmEnv() });
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i).sort()).toEqual([0, 1, 2, 3]);
    const after = await workers();
    expect(after.find((w) => w.id === cancelled.id)).toMatchObject({ status: "ended" });
    expect(after.find((w) => w.id === cancelled.id)!.reason).toMatch(/^(its slurm job \d+ ended while the pilot held jobs|its pilot exited)/);
    // The kept pilot worked on after the agent's restart: it was never ended by the new agent while it ran.
    const keptNow = after.find((w) => w.id === kept.id)!;
    expect(keptNow.reason ?? "").not.toMatch(/never submitted|ended before/);
  });
});

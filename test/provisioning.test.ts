import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/provisioning.ts";

interface Worker {
  id: number;
  queue: string;
  backend: string;
  batchId: string | null;
  status: string;
  pilotId: number | null;
  reason: string | null;
}

const workersOf = async (cluster: Cluster, queue: string) =>
  ((await cluster.api("GET", "/api/v1/workers")).body as Worker[]).filter((w) => w.queue === queue);

describe("provisioning local pilots", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({
      pilots: 0,
      queues: [{ name: "local" }, { name: "auto", maxPilots: 2, slotsPerPilot: 1, pilotIdle: "1500ms" }],
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("starts pilots for queued jobs, up to the queue's limit, and they leave when idle", async () => {
    const r = await runDriver(`${FIXTURE}#auto`, ["6", "400"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    const pids = new Set((r.value as Array<{ pid: number }>).map((v) => v.pid));
    expect(pids.size).toBeGreaterThanOrEqual(1);
    const workers = await workersOf(cluster, "auto");
    expect(workers.length).toBeGreaterThanOrEqual(1);
    expect(workers.length).toBeLessThanOrEqual(2);
    expect(workers.every((w) => w.backend === "local" && w.pilotId !== null)).toBe(true);
    // Idle for 1.5 s, the pilots leave, and the provisioner records their end.
    await until(
      "the idle pilots to leave",
      async () => ((await workersOf(cluster, "auto")).every((w) => w.status === "ended") ? true : undefined),
      20_000,
    );
    const queues = (await cluster.api("GET", "/api/v1/queues")).body as Array<{ name: string; pilots: number }>;
    expect(queues.find((q) => q.name === "auto")!.pilots).toBe(0);
  });
});

describe("provisioning pilots on a real Slurm", () => {
  let cluster: Cluster;
  let markers: string;
  const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
  const slurmEnv = () => ({ ...process.env, SLURM_CONF: join(ROOT, ".pando", "services", "slurm", "slurm.conf") });
  const ourJobs = () =>
    execFileSync("squeue", ["-h", "-o", "%i %j %T"], { env: slurmEnv(), encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes("pando-hpc"));

  beforeAll(async () => {
    const up = spawnSync(SLURM, ["up"], { encoding: "utf8" });
    if (up.status !== 0) throw new Error(`scripts/services/slurm.sh up failed; Slurm is needed for these tests:\n${up.stderr}`);
    process.env.SLURM_CONF = slurmEnv().SLURM_CONF;
    cluster = await startCluster({
      pilots: 0,
      queues: [
        { name: "local" },
        { name: "hpc", backend: "slurm", cores: 1, maxPilots: 2, slotsPerPilot: 1, pilotIdle: "3s", walltime: { max: "30m" }, slurm: { partition: "debug" } },
      ],
    });
    cluster.startPilot("local-1", 2, "local");
    markers = mkdtempSync(join(tmpdir(), "pando-slurm-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    try {
      // The stopped server cancelled its pilots' batch jobs: none is left for `slurm.sh down` to find.
      await until("squeue to list none of the server's jobs", () => (ourJobs().length === 0 ? true : undefined), 30_000);
    } finally {
      spawnSync(SLURM, ["down"]);
      rmSync(markers, { recursive: true, force: true });
    }
  });

  it("runs a workflow on a Slurm queue and a local queue at once; Slurm pilots appear in squeue and go away when idle", async () => {
    const run = runDriver(`${FIXTURE}#mixed`, ["4", "1500"], { url: cluster.url, token: cluster.credentials.userToken });
    const seen = await until("pilots in squeue", () => (ourJobs().length > 0 ? ourJobs() : undefined), 30_000);
    expect(seen[0]).toMatch(/pando-hpc (PENDING|RUNNING|CONFIGURING)/);
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    const id = r.workflowId!;
    const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
    const tasks = wf.body.tasks as Array<{ id: number; work: string; queue: string; status: string }>;
    expect(tasks.map((t) => [t.work, t.queue, t.status]).sort()).toEqual([
      ["onLocal", "local", "done"],
      ["onSlurm", "hpc", "done"],
    ]);
    // Every job of the Slurm task ran on a Slurm pilot.
    const slurmTask = tasks.find((t) => t.work === "onSlurm")!;
    const jobs = (await cluster.api("GET", `/api/v1/tasks/${slurmTask.id}/jobs`)).body.jobs as Array<{ id: number }>;
    for (const j of jobs) {
      const job = await cluster.api("GET", `/api/v1/jobs/${j.id}`);
      expect(job.body.attempts.at(-1).pilot).toMatch(/^slurm-hpc-\d+$/);
    }
    await until("the idle Slurm pilots to leave squeue", () => (ourJobs().length === 0 ? true : undefined), 30_000);
    await until(
      "their workers to end",
      async () => ((await workersOf(cluster, "hpc")).every((w) => w.status === "ended") ? true : undefined),
      10_000,
    );
  });

  it("retries elsewhere the job of a pilot killed with scancel, and the job finishes", async () => {
    const dir = join(markers, "scancel");
    const run = runDriver(`${FIXTURE}#survivor`, [JSON.stringify(dir), "8000"], { url: cluster.url, token: cluster.credentials.userToken });
    const first = await until("the job to start", () => (existsSync(dir) ? readdirSync(dir)[0] : undefined), 60_000);
    const [jobId] = first.split("-").map(Number);
    const job = await cluster.api("GET", `/api/v1/jobs/${jobId}`);
    const pilotName = job.body.attempts.at(-1).pilot as string;
    const workerId = Number(pilotName.split("-").at(-1));
    const worker = (await workersOf(cluster, "hpc")).find((w) => w.id === workerId)!;
    expect(worker.batchId).toMatch(/^\d+$/);
    execFileSync("scancel", [worker.batchId!], { env: slurmEnv() });

    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toBeGreaterThanOrEqual(2);
    const after = await cluster.api("GET", `/api/v1/jobs/${jobId}`);
    const attempts = after.body.attempts as Array<{ state: string; pilot: string; error: { code: string } | null }>;
    expect(attempts[0]).toMatchObject({ state: "failed", pilot: pilotName });
    expect(["pilot_gone", "pilot_exited"]).toContain(attempts[0]!.error?.code);
    expect(attempts.at(-1)!.state).toBe("finished");
    expect(attempts.at(-1)!.pilot).not.toBe(pilotName);
    // A lost pilot never spends the user's attempts.
    expect(after.body.state).toBe("finished");
  });
});

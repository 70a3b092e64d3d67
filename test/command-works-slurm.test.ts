// The Python objective of test/command-works.test.ts on pilots that a real Slurm runs as batch jobs.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

const SLURM = join(ROOT, "scripts", "services", "slurm.sh");
const SCRIPT = join(ROOT, "test", "fixtures", "objective.py");

describe("command works on a Slurm queue", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    const up = spawnSync(SLURM, ["up"], { encoding: "utf8" });
    if (up.status !== 0) throw new Error(`scripts/services/slurm.sh up failed; Slurm is needed for these tests:\n${up.stderr}`);
    process.env.SLURM_CONF = join(ROOT, ".pando", "services", "slurm", "slurm.conf");
    cluster = await startCluster({
      pilots: 0,
      queues: [
        { name: "local" },
        { name: "hpc", backend: "slurm", cores: 1, maxPilots: 2, slotsPerPilot: 2, pilotIdle: "3s", walltime: { max: "30m" }, slurm: { partition: "debug" } },
      ],
    });
  });
  afterAll(async () => {
    await cluster?.stop();
    spawnSync(SLURM, ["down"]);
  });

  it("runs the Python objective in Slurm batch jobs, with its result, its log, and a failure it declares not retryable", async () => {
    const r = await runDriver("test/fixtures/commands.ts#onCluster", [SCRIPT], {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--queue", "hpc"],
      timeoutMs: 180_000,
    });
    const v = r.value as {
      values: unknown[];
      taskId: number;
      fatal: { ok: boolean; code: string; exitCode: number; attempts: number; message: string; jobId: number };
      transient: { ok: boolean; code: string; exitCode: number; attempts: number };
    };
    expect(v, r.stderr).toBeDefined();
    expect(v.values).toEqual([
      { x: 1, loss: 1 },
      { x: 3, loss: 1 },
    ]);
    expect(v.fatal).toMatchObject({ ok: false, code: "command_failed", exitCode: 87, attempts: 1 });
    expect(v.fatal.message).toMatch(/\(not retried: the command declared its failure not retryable .*x=7 is outside the model's domain$/s);
    expect(v.transient).toMatchObject({ ok: false, code: "command_failed", exitCode: 2, attempts: 3 });
    // Every attempt ran on a pilot Slurm started, and left its output in the job's log.
    const jobs = (await cluster.api("GET", `/api/v1/tasks/${v.taskId}/jobs`)).body.jobs as Array<{ id: number }>;
    for (const id of [...jobs.map((j) => j.id), v.fatal.jobId]) {
      const job = (await cluster.api("GET", `/api/v1/jobs/${id}`)).body;
      for (const a of job.attempts) {
        expect(a.pilot).toMatch(/^slurm-hpc-\d+$/);
        expect(a.stdout).toMatch(/^evaluating x=\d on attempt 1\n/);
      }
    }
  });
});

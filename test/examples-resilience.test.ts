import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DesignResult } from "../examples/aid2e/aid2e.js";
import { dominates } from "../examples/aid2e/pareto.js";
import type { SearchResult } from "../examples/hpo/hpo.js";
import { runDriver, startCluster, type Cluster, type PilotProcess } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

interface TaskRow {
  id: number;
  kind: string;
  nJobs: number;
  nFinished: number;
  nFailed: number;
  nCancelled: number;
}

describe("the paper's examples with a pilot killed with SIGKILL in the middle of the run", () => {
  let cluster: Cluster;
  let outputs: string;
  let replacements = 0;

  beforeAll(async () => {
    // A short heartbeat timeout, so that the lost job is retried within seconds rather than a minute.
    cluster = await startCluster({ pilots: 2, serverArgs: ["--heartbeat-interval", "300ms", "--heartbeat-timeout", "3s"] });
    outputs = mkdtempSync(join(tmpdir(), "pando-examples-resilience-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(outputs, { recursive: true, force: true });
  });

  const workTasks = async (workflowId: number): Promise<TaskRow[]> =>
    ((await cluster.api("GET", `/api/v1/workflows/${workflowId}`)).body.tasks as TaskRow[]).filter((t) => t.kind === "work");

  /**
   * Once some job of the workflow has ended, kills the pilot running the job of it that started last (the least
   * likely to end before the signal lands) while its task still has jobs queued (so the pilot would take another
   * at once anyway), and starts a pilot in its place.
   */
  async function killAPilotMidRun(workflowId: number): Promise<PilotProcess> {
    const victim = await until(
      "a pilot running a job of the workflow after some of its jobs ended",
      async () => {
        const tasks = await workTasks(workflowId);
        if (!tasks.some((t) => t.nFinished + t.nFailed > 0)) return undefined;
        for (const task of tasks) {
          if (task.nJobs - task.nFinished - task.nFailed - task.nCancelled < 3) continue;
          const running = (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs?state=running&fields=pilot,startedAt`)).body.jobs as Array<{
            pilot: string | null;
            startedAt: number | null;
          }>;
          const newest = running.filter((j) => j.pilot !== null).sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0))[0];
          const pilot = cluster.pilots.find((p) => p.name === newest?.pilot && p.proc.exitCode === null && p.proc.signalCode === null);
          if (pilot) return pilot;
        }
        return undefined;
      },
      40_000,
    );
    victim.proc.kill("SIGKILL");
    cluster.startPilot(`replacement-${++replacements}`);
    return victim;
  }

  /** Every attempt of the workflow's jobs that the killed pilot lost, with how its job ended. */
  async function lostAttempts(workflowId: number, pilot: string): Promise<Array<{ jobId: number; jobState: string; lastPilot: string }>> {
    const lost: Array<{ jobId: number; jobState: string; lastPilot: string }> = [];
    for (const task of await workTasks(workflowId)) {
      const jobs = (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs?fields=id,attempts`)).body.jobs as Array<{ id: number; attempts: number }>;
      for (const { id } of jobs.filter((j) => j.attempts > 1)) {
        const job = (await cluster.api("GET", `/api/v1/jobs/${id}`)).body as {
          state: string;
          attempts: Array<{ state: string; pilot: string; error: { code: string } | null }>;
        };
        if (job.attempts.some((a) => a.pilot === pilot && a.state === "failed" && a.error?.code === "lost_heartbeat")) {
          lost.push({ jobId: id, jobState: job.state, lastPilot: job.attempts.at(-1)!.pilot });
        }
      }
    }
    return lost;
  }

  /** Runs an example against the cluster, kills a pilot in the middle, and expects the run to finish well. */
  async function runWithAPilotKilled(target: string, args: string[]) {
    const driver = runDriver(target, args, { url: cluster.url, token: cluster.credentials.userToken });
    const victim = await killAPilotMidRun(await driver.started);
    const r = await driver;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/workflow \d+ finished/);
    return { r, victim };
  }

  /** The killed pilot lost at least one attempt (the kill hit a running job), and each such job finished on another pilot. */
  async function expectLostJobsFinishedElsewhere(workflowId: number, pilot: string): Promise<void> {
    const lost = await lostAttempts(workflowId, pilot);
    expect(lost.length, "an attempt of the killed pilot ended by lost_heartbeat").toBeGreaterThan(0);
    for (const l of lost) {
      expect(l.jobState).toBe("finished");
      expect(l.lastPilot).not.toBe(pilot);
    }
  }

  it("HPO: the killed pilot's job is retried elsewhere and the optimisation ends with a good forest", async () => {
    // 2 iterations × 6 points, seed 1, Bayesian optimisation, 400 training events.
    const { r, victim } = await runWithAPilotKilled("examples/hpo/hpo.ts#optimize", ["2", "6", "1", "bayes", "400"]);
    const result = r.value as SearchResult;
    // A system failure spends none of the job's attempts and loses no evaluation.
    expect(result.evaluations).toBe(12);
    expect(result.history.map((h) => h.failed)).toEqual([0, 0]);
    expect(result.bestAuc!).toBeGreaterThan(0.83);
    expect((await workTasks(r.workflowId!)).map((t) => t.id)).toEqual(result.history.map((h) => h.taskId));

    await expectLostJobsFinishedElsewhere(r.workflowId!, victim.name);
  });

  it("AID2E: the killed pilot's job is retried elsewhere and the Pareto front is non-dominated", async () => {
    const outputDir = join(outputs, "aid2e");
    // Particles enough for jobs of a few hundred milliseconds, so that the kill finds one running.
    const options = { maxIterations: 3, population: 8, particles: 20000, outputDir };
    const { r, victim } = await runWithAPilotKilled("examples/aid2e/aid2e.ts#design", [JSON.stringify(options)]);
    const result = r.value as DesignResult;
    expect(result.iterations).toBe(3);
    expect(result.history.every((h) => h.failed === 0)).toBe(true);
    expect(result.front.length).toBeGreaterThan(0);
    const objectives = result.front.map((e) => [e.resolution, e.cost, 1 - e.acceptance]);
    objectives.forEach((a, i) => objectives.forEach((b, j) => expect(dominates(a, b), `front design ${i} dominates design ${j}`).toBe(false)));
    expect(result.hypervolume).toBeGreaterThan(0);

    await expectLostJobsFinishedElsewhere(r.workflowId!, victim.name);
  });
});

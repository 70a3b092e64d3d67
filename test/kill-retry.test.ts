import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { firstMarker } from "./helpers/markers.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/core.ts";
const LOCAL_FIXTURE = "test/fixtures/local-drivers.ts";

describe("kill and retry", () => {
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, serverArgs: ["--heartbeat-interval", "300ms", "--heartbeat-timeout", "3s"] });
    dir = mkdtempSync(join(tmpdir(), "pando-kill-"));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("kills a running workflow: queued jobs are cancelled, running ones are stopped on their pilot", async () => {
    const markers = join(dir, "markers");
    const started = Date.now();
    const driver = runDriver(`${FIXTURE}#survivors`, [markers, "6", "60000"], {
      url: cluster.url,
      token: cluster.credentials.userToken,
    });
    const marker = await firstMarker(markers);
    const killedAt = Date.now();
    const killed = await cluster.api("POST", `/api/v1/workflows/${marker.job.workflowId}/kill`);
    expect(killed.status).toBe(200);
    expect(killed.body.status).toBe("cancelled");
    expect(killed.body.tasks[0]).toMatchObject({ status: "cancelled", nCancelled: 6 });

    const r = await driver;
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    // The pilot confirms the kill of the attempt it was running.
    const attempt = await until("the pilot to confirm the kill", async () => {
      const job = await cluster.api("GET", `/api/v1/jobs/${marker.job.jobId}`);
      const a = job.body.attempts[0];
      return a.state === "cancelled" ? a : undefined;
    });
    expect(attempt.error.code).toBe("killed");
    // Recorded, not asserted: how long the kill took to stop the running job on its pilot.
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    writeFileSync(join(ROOT, "test-artifacts", "kill-latency.json"), JSON.stringify({ msToStopRunningJob: attempt.endedAt - killedAt }));
    const again = await cluster.api("POST", `/api/v1/tasks/${killed.body.tasks[0].id}/kill`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already cancelled/);
    // The pilots still work.
    const after = await runDriver(`${FIXTURE}#single`, ["4"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(after.value).toBe(16);
  });

  it("retries only the failed jobs of a suspended workflow's tasks, as new attempts, for its resumed driver", async () => {
    const flag = join(dir, "flag");
    const gate = join(dir, "gate");
    const args = [flag, gate];
    const run = runDriver(`${LOCAL_FIXTURE}#retried`, args, { url: cluster.url, token: cluster.credentials.userToken });
    const id = await run.started;
    let wf = await until("the first call to end and the second to start", async () => {
      const w = (await cluster.api("GET", `/api/v1/workflows/${id}`)).body;
      return w.tasks.length === 2 ? w : undefined;
    });
    const taskId = wf.tasks[0].id as number;
    expect(wf.tasks[0]).toMatchObject({ status: "finished", nFinished: 1, nFailed: 1 });

    // While the driver runs it has the outcome already: a retry is refused, saying how to do it.
    const tooEarly = await cluster.api("POST", `/api/v1/tasks/${taskId}/retry`);
    expect(tooEarly.status).toBe(409);
    expect(tooEarly.body.error.message).toMatch(/its driver is running.*Ctrl-C suspends the workflow/);
    run.proc.kill("SIGINT");
    expect((await run).code).toBe(130);
    // The interrupted call ends at once when it runs again.
    mkdirSync(gate, { recursive: true });
    writeFileSync(join(gate, "open"), "");

    // Suspended: the failed job (still failing: no flag yet) and the interrupted one run again.
    const retried = await cluster.api("POST", `/api/v1/workflows/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toBe(2);
    await until("the retried task to end", async () => {
      const t = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
      return t.body.status === "running" ? undefined : t.body;
    });
    wf = (await cluster.api("GET", `/api/v1/workflows/${id}`)).body;
    expect(wf.status).toBe("suspended");
    expect(wf.tasks[0]).toMatchObject({ status: "finished", nFinished: 1, nFailed: 1 });

    writeFileSync(flag, "1");
    const retry = await cluster.api("POST", `/api/v1/tasks/${taskId}/retry`);
    expect(retry.status).toBe(200);
    expect(retry.body.retried).toBe(1);
    const done = await until("the retried task to end", async () => {
      const t = await cluster.api("GET", `/api/v1/tasks/${taskId}`);
      return t.body.status === "running" ? undefined : t.body;
    });
    expect(done).toMatchObject({ status: "done", nFinished: 2, nFailed: 0 });
    const jobs = await cluster.api("GET", `/api/v1/tasks/${taskId}/jobs`);
    const second = await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[1].id}`);
    expect(second.body.attempts.map((a: { state: string }) => a.state)).toEqual(["failed", "failed", "finished"]);
    const first = await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`);
    expect(first.body.attempts).toHaveLength(1);
    const nothing = await cluster.api("POST", `/api/v1/tasks/${taskId}/retry`);
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.message).toMatch(/no failed or cancelled jobs to retry/);

    // The resumed driver reads the new results, and the workflow's status is derived from them.
    const resumed = await runDriver(`${LOCAL_FIXTURE}#retried`, args, {
      url: cluster.url,
      token: cluster.credentials.userToken,
      extra: ["--resume", String(id)],
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.value).toEqual([10, 20]);
    wf = (await cluster.api("GET", `/api/v1/workflows/${id}`)).body;
    expect(wf.status).toBe("finished");
    expect(wf.tasks.map((t: { id: number }) => t.id)).toEqual([taskId, wf.tasks[1].id]);
    expect((await cluster.api("GET", `/api/v1/jobs/${jobs.body.jobs[0].id}`)).body.attempts).toHaveLength(1);
  });
});

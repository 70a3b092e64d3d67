// The job lifecycle seen from a pilot's side of the protocol: fake pilots that talk to a real server
// through the REST API, misbehaving on purpose.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

describe("job lifecycle", () => {
  let cluster: Cluster;
  let workflowId: number;
  let bundleHash: string;
  /** Each fake pilot's key, by its id: its requests prove with it that they are its own. */
  const keys = new Map<number, string>();
  const pilotApi = (method: string, path: string, body?: unknown) => {
    const key = keys.get(Number(/\/pilots\/(\d+)\//.exec(path)?.[1]));
    return cluster.api(method, path, body, cluster.credentials.pilotToken, key === undefined ? {} : { "x-pando-pilot-key": key });
  };
  const register = async (name: string) => {
    const { id, reportKey } = (await pilotApi("POST", "/api/v1/pilots", { queue: "local", name, slots: 1 })).body as { id: number; reportKey: string };
    keys.set(id, reportKey);
    return id;
  };
  const acquire = async (pilot: number) =>
    (await pilotApi("POST", `/api/v1/pilots/${pilot}/acquire`, { capacity: 1, waitMs: 5000 })).body.jobs as Array<{
      jobId: number;
      attempt: number;
    }>;
  const submit = async () =>
    (
      await cluster.api("POST", `/api/v1/workflows/${workflowId}/tasks`, {
        work: "w",
        bundleHash,
        jobs: [{ key: "only", args: "[1]" }],
      })
    ).body.id as number;
  const jobOf = async (taskId: number) => {
    const [job] = (await cluster.api("GET", `/api/v1/tasks/${taskId}/jobs`)).body.jobs as Array<{ id: number }>;
    return (await cluster.api("GET", `/api/v1/jobs/${job!.id}`)).body;
  };

  beforeAll(async () => {
    // No real pilots: the test's fake pilots are the only ones. Heartbeats every 200 ms, lost after 1.5 s.
    cluster = await startCluster({ pilots: 0, serverArgs: ["--heartbeat-interval", "200ms", "--heartbeat-timeout", "1500ms"] });
    workflowId = (await cluster.api("POST", "/api/v1/workflows", { name: "lifecycle" })).body.id;
    const code = new TextEncoder().encode("export {};\n");
    bundleHash = createHash("sha256").update(code).digest("hex");
    await fetch(`${cluster.url}/api/v1/bundles/${bundleHash}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${cluster.credentials.userToken}`, "content-type": "application/octet-stream" },
      body: code,
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("fences updates by attempt: a late report from a lost attempt cannot overwrite the newer one", async () => {
    const taskId = await submit();
    const a = await register("fake-a");
    const [first] = await acquire(a);
    expect(first).toMatchObject({ attempt: 1 });
    // Pilot A falls silent; the server declares it lost and the job goes back to the queue.
    const b = await register("fake-b");
    const keepAlive = setInterval(() => void pilotApi("POST", `/api/v1/pilots/${b}/heartbeat`, { held: [] }), 200);
    try {
      const second = await until("the job's second attempt", async () => (await acquire(b))[0], 20_000);
      expect(second).toMatchObject({ jobId: first!.jobId, attempt: 2 });
      // A comes back with its result for attempt 1: refused, it is no longer the job's pilot.
      const late = await pilotApi("POST", `/api/v1/pilots/${a}/report`, {
        updates: [{ jobId: first!.jobId, attempt: 1, state: "finished", result: '"from A"', endedAt: Date.now() }],
      });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe("pilot_ended");
      // B reporting on the wrong attempt is ignored; on its own attempt, accepted.
      const wrong = await pilotApi("POST", `/api/v1/pilots/${b}/report`, {
        updates: [{ jobId: first!.jobId, attempt: 1, state: "finished", result: '"stale"', endedAt: Date.now() }],
      });
      expect(wrong.body).toEqual({ accepted: 0, ignored: 1 });
      const right = await pilotApi("POST", `/api/v1/pilots/${b}/report`, {
        updates: [{ jobId: first!.jobId, attempt: 2, state: "finished", result: '"from B"', startedAt: Date.now(), endedAt: Date.now() }],
      });
      expect(right.body).toEqual({ accepted: 1, ignored: 0 });
    } finally {
      clearInterval(keepAlive);
    }
    const job = await jobOf(taskId);
    expect(job.state).toBe("finished");
    expect(job.result).toBe('"from B"');
    expect(job.attempts.map((x: { state: string; error: { code: string } | null }) => [x.state, x.error?.code ?? null])).toEqual([
      ["failed", "lost_heartbeat"],
      ["finished", null],
    ]);
  });

  it("fails a job sent to a pilot that never lists it (sent timeout), and sends it again", async () => {
    const taskId = await submit();
    const c = await register("fake-c");
    // C keeps sending heartbeats, but never lists the job it is sent: as if it never got it.
    const keepAlive = setInterval(() => void pilotApi("POST", `/api/v1/pilots/${c}/heartbeat`, { held: [] }), 200);
    const [sent] = await acquire(c);
    expect(sent).toMatchObject({ attempt: 1 });
    const second = await until("the job to be sent again", async () => (await acquire(c))[0], 20_000).finally(() =>
      clearInterval(keepAlive),
    );
    expect(second).toMatchObject({ jobId: sent!.jobId, attempt: 2 });
    const report = await pilotApi("POST", `/api/v1/pilots/${c}/report`, {
      updates: [{ jobId: sent!.jobId, attempt: 2, state: "finished", result: "1", startedAt: Date.now(), endedAt: Date.now() }],
    });
    expect(report.body).toEqual({ accepted: 1, ignored: 0 });
    const job = await jobOf(taskId);
    expect(job.state).toBe("finished");
    expect(job.attempts[0]).toMatchObject({ state: "failed", error: { code: "lost_dispatch" } });
    await pilotApi("POST", `/api/v1/pilots/${c}/exit`, {});
  });

  it("never fails a job as lost in dispatch on a heartbeat built before the answer that carried it, however late it arrives", async () => {
    const taskId = await submit();
    const d = await register("fake-d");
    const answer = (await pilotApi("POST", `/api/v1/pilots/${d}/acquire`, { capacity: 1, waitMs: 5000 })).body as { jobs: Array<{ jobId: number; attempt: number }>; at: number };
    expect(answer.jobs).toHaveLength(1);
    // Heartbeats that took no answer yet (asOf 0), arriving past the grace for a job on its way (1.5 s here).
    const late = setInterval(() => void pilotApi("POST", `/api/v1/pilots/${d}/heartbeat`, { held: [], asOf: 0 }), 200);
    await new Promise((r) => setTimeout(r, 3000)).finally(() => clearInterval(late));
    expect((await jobOf(taskId)).attempts).toEqual([expect.objectContaining({ state: "sent" })]);
    // A heartbeat that took the answer and does not list its job: the job is lost, and sent again.
    await pilotApi("POST", `/api/v1/pilots/${d}/heartbeat`, { held: [], asOf: answer.at });
    const second = await until("the job to be sent again", async () => (await acquire(d))[0], 20_000);
    expect(second).toMatchObject({ jobId: answer.jobs[0]!.jobId, attempt: 2 });
    await pilotApi("POST", `/api/v1/pilots/${d}/report`, {
      updates: [{ jobId: second.jobId, attempt: 2, state: "finished", result: "1", startedAt: Date.now(), endedAt: Date.now() }],
    });
    expect((await jobOf(taskId)).attempts[0]).toMatchObject({ state: "failed", error: { code: "lost_dispatch" } });
    await pilotApi("POST", `/api/v1/pilots/${d}/exit`, {});
  });
});

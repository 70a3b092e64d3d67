import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "../src/core/sleep.js";
import { CLI, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/brokerage.ts";

const QUEUES = [
  { name: "local", walltime: { max: "1h" } },
  { name: "small", cores: 2, walltime: { max: "1h" } },
  { name: "big", cores: 4, walltime: { max: "1h" } },
  { name: "quiet", status: "brokeroff" },
  { name: "down", cores: 64, status: "offline" },
  { name: "fast", status: "brokeroff", heartbeatTimeout: "1500ms" },
];

interface TaskView {
  id: number;
  work: string;
  queue: string;
  status: string;
  pendingReason: string | null;
}

describe("brokerage: tasks go to queues that fit them", () => {
  let cluster: Cluster;
  const pando = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args, "--server", cluster.url, "--token", cluster.credentials.userToken], {
      cwd: ROOT,
      encoding: "utf8",
    });
  const tasksOf = async (id: number) => (await cluster.api("GET", `/api/v1/workflows/${id}`)).body.tasks as TaskView[];

  beforeAll(async () => {
    cluster = await startCluster({ pilots: 0, queues: QUEUES });
    for (const q of QUEUES) cluster.startPilot(`${q.name}-pilot`, 1, q.name);
    cluster.startPilot("fast-pilot-2", 1, "fast");
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("lists the queues with their definitions, status and pilots", async () => {
    await until("every pilot to register", async () => {
      const r = await cluster.api("GET", "/api/v1/queues");
      return (r.body as Array<{ pilots: number }>).every((q) => q.pilots >= 1) ? true : undefined;
    });
    const json = pando("queues", "--json");
    expect(json.status, json.stderr).toBe(0);
    const queues = JSON.parse(json.stdout) as Array<{ name: string; status: string; cores: number; walltimeMs: { max: number } }>;
    expect(queues.map((q) => [q.name, q.status, q.cores])).toEqual([
      ["big", "online", 4],
      ["down", "offline", 64],
      ["fast", "brokeroff", 1],
      ["local", "online", 1],
      ["quiet", "brokeroff", 1],
      ["small", "online", 2],
    ]);
    expect(queues.find((q) => q.name === "local")!.walltimeMs.max).toBe(3_600_000);
    const text = pando("queues");
    expect(text.stdout).toMatch(/^QUEUE\s+BACKEND\s+STATUS\s+CORES/);
    expect(text.stdout).toMatch(/down\s+local\s+offline\s+64/);
  });

  it("never puts a 4-core task on a smaller queue, gives offline queues nothing, and honours a pinned brokeroff queue", async () => {
    const r = await runDriver(`${FIXTURE}#placements`, [], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect(r.value).toEqual({ four: 2, pinned: 3, either: 4 });
    const where = Object.fromEntries((await tasksOf(r.workflowId!)).map((t) => [t.work, t.queue]));
    expect(where).toEqual({ fourCores: "big", pinned: "quiet", either: "small" });
  });

  it("keeps a task nobody can take pending with the reason, and starts it when a queue comes online", async () => {
    const run = runDriver(`${FIXTURE}#waiting`, [], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await run.started;
    const task = await until("the task to wait", async () => (await tasksOf(id)).find((t) => t.status === "pending"));
    expect(task.pendingReason).toBe(
      "no queue can take this task: 'big' has 4 core(s) per job, the task needs 64; 'down' is offline; " +
        "'fast' is brokeroff (it takes only tasks that name it); 'local' has 1 core(s) per job, the task needs 64; 'quiet' is brokeroff (it takes only tasks that name it); " +
        "'small' has 2 core(s) per job, the task needs 64",
    );
    // Still waiting a while later: nothing runs it by mistake.
    await sleep(1500);
    expect((await tasksOf(id))[0]!.status).toBe("pending");

    const set = pando("queues", "set", "down", "online");
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toBe("queue down is online\n");
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.value).toBe(5);
    expect((await tasksOf(id))[0]).toMatchObject({ queue: "down", status: "done", pendingReason: null });
    pando("queues", "set", "down", "offline");
  });

  it("moves the jobs waiting on a queue taken offline to another queue their task allows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-hold-"));
    const setQueue = (name: string, status: string) => expect(pando("queues", "set", name, status).status).toBe(0);
    setQueue("small", "offline");
    setQueue("down", "online");
    const run = runDriver(`${FIXTURE}#behindHold`, [dir], { url: cluster.url, token: cluster.credentials.userToken });
    try {
      const id = await run.started;
      // `either` goes to "down" (small is offline), where holdDown holds the one slot.
      await until("either to wait on down behind holdDown", async () => {
        const tasks = await tasksOf(id);
        const held = tasks.find((t) => t.work === "holdDown")?.status === "running";
        return held && tasks.find((t) => t.work === "either")?.queue === "down" ? true : undefined;
      });
      setQueue("down", "offline");
      setQueue("small", "online");
      await until("either to move to small", async () => ((await tasksOf(id)).find((t) => t.work === "either")?.queue === "small" ? true : undefined));
      writeFileSync(join(dir, "release"), "");
      const done = await run;
      expect(done.code, done.stderr).toBe(0);
      expect(done.value).toBe(5);
      expect((await tasksOf(id)).find((t) => t.work === "either")).toMatchObject({ queue: "small", status: "done" });
    } finally {
      writeFileSync(join(dir, "release"), "");
      await run.catch(() => undefined);
      setQueue("down", "offline");
      setQueue("small", "online");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says why when the walltime fits no queue", async () => {
    const run = runDriver(`${FIXTURE}#tooLong`, [], { url: cluster.url, token: cluster.credentials.userToken });
    const id = await run.started;
    const task = await until("the task to wait", async () => (await tasksOf(id)).find((t) => t.status === "pending"));
    expect(task.pendingReason).toContain("'local' allows at most 3600 s of walltime, the task needs 10800 s");
    await cluster.api("POST", `/api/v1/tasks/${task.id}/kill`, {});
    const r = await run;
    expect(r.code).toBe(1);
    expect((await tasksOf(id))[0]!.status).toBe("cancelled");
  });

  it("declares a silent pilot lost after its queue's own heartbeat timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-fast-"));
    try {
      const run = runDriver(`${FIXTURE}#fastQueue`, [JSON.stringify(dir), "3000"], { url: cluster.url, token: cluster.credentials.userToken });
      const victim = await until("the job to start", () => readdirSync(dir)[0]);
      const killedAt = Date.now();
      process.kill(Number(victim), "SIGKILL");
      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.value).not.toBe(Number(victim));
      const task = (await tasksOf(r.workflowId!))[0]!;
      const [job] = (await cluster.api("GET", `/api/v1/tasks/${task.id}/jobs`)).body.jobs as Array<{ id: number }>;
      const attempts = (await cluster.api("GET", `/api/v1/jobs/${job!.id}`)).body.attempts as Array<{ error: { code: string } | null; endedAt: number }>;
      expect(attempts[0]!.error?.code).toBe("lost_heartbeat");
      // The queue's 1.5 s, not the server's 60 s: the attempt failed within seconds of the pilot's death.
      expect(attempts[0]!.endedAt - killedAt).toBeLessThan(15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses unknown statuses and queues, and non-administrators", async () => {
    const bad = pando("queues", "set", "down", "sleepy");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("'sleepy' is not a queue status; use one of online, offline, brokeroff, test");
    const unknown = await cluster.api("PUT", "/api/v1/queues/nowhere", { status: "online" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("queue 'nowhere' does not exist");
    const token = await cluster.api("POST", "/api/v1/tokens", { name: "carol's", user: "carol" });
    const carol = await cluster.api("PUT", "/api/v1/queues/down", { status: "online" }, token.body.token);
    expect(carol.status).toBe(403);
    expect(carol.body.error.message).toBe("only administrators may call PUT /api/v1/queues/:name");
  });
});

describe("a bad queues file", () => {
  it("stops the server at start with what is wrong and where", () => {
    const dir = mkdtempSync(join(tmpdir(), "pando-queues-"));
    try {
      const file = join(dir, "queues.json");
      writeFileSync(file, JSON.stringify({ queues: [{ name: "gpu", cores: 0, backend: "cloud" }] }));
      const r = spawnSync(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dir, "--queues-file", file], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${file} is not a valid queues file`);
      expect(r.stderr).toContain("queues.0.cores");
      expect(r.stderr).toContain("queues.0.backend");
      const missing = spawnSync(process.execPath, [CLI, "server", "--port", "0", "--data-dir", dir, "--queues-file", join(dir, "nope.json")], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain(`cannot read the queues file ${join(dir, "nope.json")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Site agents (`pando site`): a real server that provisions nothing of its own, a real agent starting local
// pilots for its site's queue, real drivers; the agent killed and restarted, the server restarted, a site
// gone silent, and the refusals of site tokens.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";
import { until } from "./helpers/until.js";

const FIXTURE = "test/fixtures/sites.ts";

/** The agent's JSON log lines (a line that is not JSON is not one of them). */
function logLines(output: string): Array<Record<string, unknown> & { msg: string }> {
  return output.split("\n").flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as unknown;
      return typeof parsed === "object" && parsed !== null && "msg" in parsed ? [parsed as Record<string, unknown> & { msg: string }] : [];
    } catch {
      return [];
    }
  });
}

interface Agent {
  proc: ChildProcess;
  output(): string;
}

interface Worker {
  id: number;
  batchId: string | null;
  queue: string;
  site: string | null;
  status: string;
  reason: string | null;
  pilotId: number | null;
}

describe("site agents", () => {
  let cluster: Cluster;
  let dir: string;
  let queuesFile: string;
  let siteToken: string;
  let agent: Agent | undefined;

  const createToken = async (body: Record<string, unknown>) => {
    const r = await cluster.api("POST", "/api/v1/tokens", body);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.token as string;
  };

  const startAgent = (token = siteToken, name = "cern"): Agent => {
    const proc = spawn(
      process.execPath,
      [CLI, "site", "--server", cluster.url, "--name", name, "--queues-file", queuesFile, "--data-dir", dir, "--poll", "1s", "--max-backoff", "1s"],
      // Its info lines are what the tests read: its starts, stops and reconnections.
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PANDO_TOKEN: token, PANDO_LOG_LEVEL: "info" } },
    );
    let out = "";
    proc.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    return { proc, output: () => out };
  };

  const stopAgent = (a: Agent | undefined, signal: NodeJS.Signals = "SIGTERM") =>
    new Promise<void>((resolve) => {
      if (!a || a.proc.exitCode !== null || a.proc.signalCode !== null) return resolve();
      a.proc.once("exit", () => resolve());
      a.proc.kill(signal);
    });

  const workers = async () => ((await cluster.api("GET", "/api/v1/workers")).body as Worker[]).filter((w) => w.site === "cern");
  const site = async (name: string) =>
    ((await cluster.api("GET", "/api/v1/sites")).body as Array<{ name: string; state: string; workers: number }>).find((s) => s.name === name);

  beforeAll(async () => {
    // The server's own queue gets no pilot: whatever runs, runs on the site's pilots.
    cluster = await startCluster({ pilots: 0, queues: [{ name: "local" }], serverArgs: ["--site-silence", "4s", "--heartbeat-timeout", "4s", "--heartbeat-interval", "500ms"] });
    dir = mkdtempSync(join(tmpdir(), "pando-site-"));
    queuesFile = join(dir, "queues.json");
    const cpu = { name: "cpu", maxPilots: 2, slotsPerPilot: 2, pilotIdle: "3s", pilotCommand: [process.execPath, CLI] };
    // A queue whose pilots start and never register: they stay "starting" until cancelled.
    const stuck = { name: "stuck", maxPilots: 1, pilotCommand: ["/bin/sh", "-c", "exec sleep 600", "sh"] };
    // A queue whose pilot command does not exist: starting its pilots fails.
    const broken = { name: "broken", maxPilots: 1, pilotCommand: ["/nonexistent/node"] };
    writeFileSync(queuesFile, JSON.stringify({ queues: [cpu, stuck, broken] }));
    siteToken = await createToken({ name: "cern agent", site: "cern" });
    agent = startAgent();
    await until("the site to register", async () => ((await site("cern"))?.state === "online" ? true : undefined), 20_000);
  });
  afterAll(async () => {
    await stopAgent(agent);
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a workflow's tasks on the pilots the site agent starts, the server starting none", async () => {
    const r = await runDriver(`${FIXTURE}#cern`, ["6", "200"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i)).toEqual([0, 1, 2, 3, 4, 5]);
    const started = await workers();
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(2);
    expect(started.every((w) => w.queue === "cern/cpu" && w.pilotId !== null)).toBe(true);
    const queues = (await cluster.api("GET", "/api/v1/queues")).body as Array<{ name: string; site: string | null; siteState: string | null; siteHeartbeatAt: number | null }>;
    expect(queues.find((q) => q.name === "cern/cpu")).toMatchObject({ site: "cern", siteState: "online" });
    expect(queues.find((q) => q.name === "local")).toMatchObject({ site: null, siteState: null });
    const text = spawnSync(process.execPath, [CLI, "queues", "--server", cluster.url, "--token", cluster.credentials.userToken], { encoding: "utf8" });
    expect(text.stdout).toMatch(/^cern\/cpu\s.*cern \(online\)$/m);
    const sites = spawnSync(process.execPath, [CLI, "sites", "--server", cluster.url, "--token", cluster.credentials.userToken], { encoding: "utf8" });
    expect(sites.stdout).toMatch(/^cern\s+online\s.*cern\/broken, cern\/cpu, cern\/stuck$/m);
    // Idle, the pilots leave; the agent tells the server.
    await until("the idle pilots to leave", async () => ((await workers()).every((w) => w.status === "ended") ? true : undefined), 30_000);
  });

  it("refuses a site token on another site, on user endpoints, expired or revoked, and a user token as a site token", async () => {
    const queues = { queues: [{ name: "cpu" }] };
    const other = await cluster.api("PUT", "/api/v1/sites/desy", queues, siteToken);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(/site 'cern'.*site 'desy'/);
    const user = await cluster.api("GET", "/api/v1/workflows", undefined, siteToken);
    expect(user.status).toBe(403);
    expect(user.body.error.message).toMatch(/a site token .* may only call the site endpoints/);
    const admin = await cluster.api("GET", "/api/v1/tokens", undefined, siteToken);
    expect(admin.status).toBe(403);
    const foreignQueue = await cluster.api("POST", "/api/v1/sites/cern/workers", { queue: "local", backend: "local" }, siteToken);
    expect(foreignQueue.status).toBe(403);
    expect(foreignQueue.body.error.message).toMatch(/'local' is not site 'cern''s/);

    const expired = await createToken({ name: "short", site: "cern", expiresInMs: 1 });
    const expiredCall = await cluster.api("PUT", "/api/v1/sites/cern", queues, expired);
    expect(expiredCall.status).toBe(401);
    // Said as it is: neither unknown nor revoked, but expired, and a new one is needed.
    expect(expiredCall.body.error.message).toMatch(/^the bearer token expired at \d{4}-.*: ask an administrator for a new one/);

    const bob = await createToken({ name: "bob", user: "bob" });
    const asSite = await cluster.api("PUT", "/api/v1/sites/cern", queues, bob);
    expect(asSite.status).toBe(403);
    expect(asSite.body.error.message).toMatch(/only a site's token/);
    // The agent started with a user's token stops at once with one line saying why.
    const refused = spawnSync(process.execPath, [CLI, "site", "--server", cluster.url, "--name", "cern", "--queues-file", queuesFile, "--data-dir", dir], {
      encoding: "utf8",
      env: { ...process.env, PANDO_TOKEN: bob },
      timeout: 30_000,
    });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr.trim().split("\n").filter((l) => l.startsWith("pando:"))).toEqual([
      expect.stringMatching(/^pando: the server at .* refused site 'cern': only a site's token \(or an administrator's\)/),
    ]);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    // The pilot token a site's registration hands out serves that site's queues only.
    // As its agent registers it: a queue missing from a registration would go offline.
    const registered = await cluster.api("PUT", "/api/v1/sites/cern", JSON.parse(readFileSync(queuesFile, "utf8")), siteToken);
    expect(registered.status).toBe(200);
    const pilotToken = registered.body.pilotToken as string;
    const pilotOnLocal = await cluster.api("POST", "/api/v1/pilots", { queue: "local", name: "p", host: "h", pid: 1, slots: 1, version: "0" }, pilotToken);
    expect(pilotOnLocal.status).toBe(403);
    expect(pilotOnLocal.body.error.message).toMatch(/site 'cern'.*not 'local'/);
    // Registering again with the pilot token it holds, an agent keeps it; with another site's or a user's token, it gets a new one.
    const again = await cluster.api("PUT", "/api/v1/sites/cern", { ...JSON.parse(readFileSync(queuesFile, "utf8")), pilotToken }, siteToken);
    expect(again.body.pilotToken).toBe(pilotToken);
    const foreign = await cluster.api("PUT", "/api/v1/sites/cern", { ...JSON.parse(readFileSync(queuesFile, "utf8")), pilotToken: cluster.credentials.userToken }, siteToken);
    expect(foreign.body.pilotToken).not.toBe(pilotToken);
    expect(foreign.body.pilotToken).not.toBe(cluster.credentials.userToken);

    const tokens = (await cluster.api("GET", "/api/v1/tokens?all=true")).body as Array<{ id: number; name: string }>;
    const spare = await createToken({ name: "spare", site: "cern" });
    const spareId = ((await cluster.api("GET", "/api/v1/tokens?all=true")).body as Array<{ id: number; name: string }>).find(
      (t) => t.name === "spare" && !tokens.some((o) => o.id === t.id),
    )!.id;
    expect((await cluster.api("DELETE", `/api/v1/tokens/${spareId}`)).status).toBe(200);
    expect((await cluster.api("PUT", "/api/v1/sites/cern", queues, spare)).status).toBe(401);
  });

  it("takes a queue a site no longer registers offline, and back when registered again", async () => {
    const lyonToken = await createToken({ name: "lyon agent", site: "lyon" });
    const register = async (names: string[]) => {
      // brokeroff: brokerage gives these queues only tasks that name them, so the other tests' tasks stay off them.
      const queues = names.map((name) => ({ name, maxPilots: 0, status: "brokeroff" }));
      const r = await cluster.api("PUT", "/api/v1/sites/lyon", { queues }, lyonToken);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    };
    const status = async (name: string) => ((await cluster.api("GET", "/api/v1/queues")).body as Array<{ name: string; status: string }>).find((q) => q.name === name)?.status;
    await register(["a", "b"]);
    expect(await status("lyon/b")).toBe("brokeroff");
    await register(["a"]);
    expect(await status("lyon/a")).toBe("brokeroff");
    expect(await status("lyon/b")).toBe("offline");
    await register(["a", "b"]);
    expect(await status("lyon/b")).toBe("brokeroff");
  });

  it("passes by a silent site's queues, naming the site in the pending reason, and moves the jobs waiting there", async () => {
    const quietToken = await createToken({ name: "quiet agent", site: "quiet" });
    expect((await cluster.api("PUT", "/api/v1/sites/quiet", { queues: [{ name: "cpu", maxPilots: 1 }] }, quietToken)).status).toBe(200);
    // With cern/cpu offline, a task that may go to either site goes to quiet/cpu while quiet is heard from.
    const setCern = async (status: string) => expect((await cluster.api("PUT", "/api/v1/queues/cern%2Fcpu", { status })).status).toBe(200);
    await setCern("offline");
    const either = runDriver(`${FIXTURE}#either`, ["4", "0"], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 60_000 });
    let pinned: ReturnType<typeof runDriver> | undefined;
    try {
      const task = async (id: number) => ((await cluster.api("GET", `/api/v1/workflows/${id}`)).body.tasks as Array<{ queue: string; pendingReason: string | null }> | undefined)?.[0];
      const eitherId = await either.started;
      // Site quiet's agent is heard from (a demand poll) until the task is placed there, however long the driver takes to start.
      await until("the task to go to quiet/cpu", async () => {
        await cluster.api("POST", "/api/v1/sites/quiet/demand", { waitMs: 0 }, quietToken);
        return (await task(eitherId))?.queue === "quiet/cpu" ? true : undefined;
      });
      // Its agent never polls again and it has no pilot: after the silence time the site is silent.
      await until("site quiet to fall silent", async () => ((await site("quiet"))?.state === "silent" ? true : undefined), 20_000);
      // Its jobs wait there (cern/cpu is offline), and the task says why.
      const waiting = await until("the running task's reason", async () => (await task(eitherId))?.pendingReason ?? undefined);
      expect(waiting).toBe("site quiet: no agent or pilot heard from for more than 4s");
      pinned = runDriver(`${FIXTURE}#quiet`, ["1"], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 60_000 });
      const pinnedId = await pinned.started;
      const reason = await until("the pinned task's pending reason", async () => (await task(pinnedId))?.pendingReason ?? undefined);
      expect(reason).toMatch(/site quiet: no agent or pilot heard from for more than 4s/);
      const queues = (await cluster.api("GET", "/api/v1/queues")).body as Array<{ name: string; siteState: string | null }>;
      expect(queues.find((q) => q.name === "quiet/cpu")!.siteState).toBe("silent");
      // cern/cpu online again: the jobs waiting on the silent site move there and run.
      await setCern("online");
      const r = await either;
      expect(r.code, r.stderr).toBe(0);
      expect((r.value as unknown[]).length).toBe(4);
      expect((await task(eitherId))?.queue).toBe("cern/cpu");
    } finally {
      await setCern("online");
      pinned?.proc.kill("SIGKILL");
      await pinned?.catch(() => undefined);
      either.proc.kill("SIGKILL");
      await either.catch(() => undefined);
    }
  });

  it("a pilot that cannot be started is one ended worker saying why, shown on the waiting task, and not tried again at once", async () => {
    const run = runDriver(`${FIXTURE}#broken`, [], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 60_000 });
    try {
      const failed = await until(
        "the failed start",
        async () => (await workers()).find((w) => w.queue === "cern/broken" && w.status === "ended"),
        30_000,
      );
      expect(failed.reason).toBe("could not start a pilot: the pilot command '/nonexistent/node' could not be started (check the queue's pilotCommand)");
      const id = await run.started;
      const reason = await until("the task's reason", async () => {
        const wf = await cluster.api("GET", `/api/v1/workflows/${id}`);
        return (wf.body.tasks as Array<{ pendingReason: string | null }> | undefined)?.[0]?.pendingReason ?? undefined;
      });
      expect(reason).toMatch(/^queue 'cern\/broken' cannot start pilots: could not start a pilot/);
      // The agent leaves the queue be after a failed start: no second worker while the driver waits.
      await new Promise((r) => setTimeout(r, 3000));
      expect((await workers()).filter((w) => w.queue === "cern/broken")).toHaveLength(1);
      // Its log line names the queue as a field, not inside the message.
      const failedStarts = logLines(agent!.output()).filter((l) => l.msg.startsWith("could not start a pilot"));
      expect(failedStarts).toHaveLength(1);
      expect(failedStarts[0]).toMatchObject({ site: "cern", queue: "cern/broken", workerId: expect.any(Number) });
    } finally {
      run.proc.kill("SIGKILL");
      await run.catch(() => undefined);
    }
  });

  it("killed and started again, the agent picks up its workers: those gone are ended, their jobs retried, the workflow completes", async () => {
    // A pilot token of the site that no agent holds, in use a moment ago: retired with the first agent's below.
    const stale = (await cluster.api("PUT", "/api/v1/sites/cern", JSON.parse(readFileSync(queuesFile, "utf8")), siteToken)).body.pilotToken as string;
    expect((await cluster.api("GET", "/api/v1/broker", undefined, stale)).status).toBe(200);
    const run = runDriver(`${FIXTURE}#cern`, ["8", "1500"], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 90_000 });
    await until("pilots of the site to run jobs", async () => ((await workers()).some((w) => w.status === "running") ? true : undefined), 30_000);
    const before = (await workers()).filter((w) => w.status !== "ended").map((w) => w.id);
    await stopAgent(agent, "SIGKILL");
    const first = agent;
    agent = startAgent();
    const second = agent;
    const diagnosis = async () =>
      `first agent:\n${first?.output()}\nsecond agent:\n${second.output()}\nworkers:\n${JSON.stringify(await workers())}\nqueues:\n${JSON.stringify((await cluster.api("GET", "/api/v1/queues")).body)}`;
    const r = await run.catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${await diagnosis()}`);
    });
    expect(r.code, `${r.stderr}\n${await diagnosis()}`).toBe(0);
    expect((r.value as Array<{ i: number }>).map((v) => v.i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The restarted agent found the first one's local pilots gone (they left with it) and told the server.
    const all = (await cluster.api("GET", "/api/v1/workers")).body as Worker[];
    for (const id of before) expect(all.find((w) => w.id === id)!.status).toBe("ended");
    expect(all.some((w) => w.site === "cern" && !before.includes(w.id))).toBe(true);
    // The restarted agent got a new pilot token; the first one's, no longer held by an agent (for the site
    // silence time, 4 s here) nor used by a live worker, is revoked: restarts leave no valid tokens behind.
    const validPilotTokens = async () =>
      ((await cluster.api("GET", "/api/v1/tokens?all=true")).body as Array<{ name: string; revokedAt: number | null }>).filter(
        (t) => t.name === "pilots of site cern" && t.revokedAt === null,
      ).length;
    await until("the site's pilot tokens no agent holds to be revoked", async () => ((await validPilotTokens()) === 1 ? true : undefined), 20_000);
    expect((await cluster.api("GET", "/api/v1/broker", undefined, stale)).status).toBe(401);
  });

  it("reconnects by itself after the server restarts, with one line in its log, keeping its pilot token", async () => {
    const pilotTokens = async () =>
      ((await cluster.api("GET", "/api/v1/tokens?all=true")).body as Array<{ name: string }>).filter((t) => t.name === "pilots of site cern").length;
    const before = await pilotTokens();
    await cluster.stopServer("SIGKILL");
    await until("the agent to notice the server is gone", () => (/trying again until it answers/.test(agent!.output()) ? true : undefined), 20_000);
    await cluster.startServer();
    const r = await runDriver(`${FIXTURE}#cern`, ["3", "0"], { url: cluster.url, token: cluster.credentials.userToken });
    expect(r.code, r.stderr).toBe(0);
    expect((r.value as unknown[]).length).toBe(3);
    const lost = agent!.output().split("\n").filter((l) => /trying again until it answers/.test(l));
    expect(lost).toHaveLength(1);
    await until("the agent to say the server is back", () => (/reachable again/.test(agent!.output()) ? true : undefined), 10_000);
    expect(agent!.proc.exitCode).toBeNull();
    expect(await pilotTokens()).toBe(before);
  });

  it("on SIGTERM cancels its pilots still waiting to start, and exits", async () => {
    const run = runDriver(`${FIXTURE}#stuck`, [], { url: cluster.url, token: cluster.credentials.userToken, timeoutMs: 60_000 });
    try {
      const waiting = await until(
        "a pilot of cern/stuck to be started",
        async () => (await workers()).find((w) => w.queue === "cern/stuck" && w.status === "submitted" && w.batchId !== null),
        30_000,
      );
      await stopAgent(agent, "SIGTERM");
      expect(agent!.proc.exitCode).toBe(0);
      expect(logLines(agent!.output())).toContainEqual(expect.objectContaining({ site: "cern", cancelled: 1, msg: "pilots still waiting to start cancelled" }));
      const after = (await workers()).find((w) => w.id === waiting.id);
      expect(after).toMatchObject({ status: "ended", reason: "cancelled: the site agent stopped" });
      expect(() => process.kill(Number(waiting.batchId), 0)).toThrow();
    } finally {
      run.proc.kill("SIGKILL");
      await run.catch(() => undefined);
    }
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, runDriver, startCluster, type Cluster } from "./helpers/cluster.js";

/** Reads a server-sent event stream until `until` matches what arrived, or the time is up. */
async function readEvents(url: string, token: string, until: RegExp, ms: number, whileOpen: () => Promise<void>): Promise<string> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  let text = "";
  const timer = setTimeout(() => controller.abort(), ms);
  await whileOpen();
  try {
    while (!until.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } catch {
    // aborted: the caller checks what arrived
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return text;
}

describe("the monitoring API: listings, errors, timelines, objectives, pilots, tokens, events and pruning", () => {
  let cluster: Cluster;
  const ids: Record<string, number> = {};
  let admin = "";
  beforeAll(async () => {
    cluster = await startCluster({ pilots: 2, slots: 2 });
    for (const name of ["partial", "map50", "single"]) {
      const r = await runDriver(`test/fixtures/core.ts#${name}`, name === "single" ? ["3"] : [], {
        url: cluster.url,
        token: cluster.credentials.userToken,
      });
      expect(r.code, r.stderr).toBe(0);
      ids[name] = r.workflowId!;
    }
    const open = await cluster.api("POST", "/api/v1/workflows", { name: "still.open" });
    ids.open = open.body.id;
    admin = (await cluster.api("GET", `/api/v1/workflows/${ids.open}`)).body.user;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("lists workflows newest first with task and job counts, filters and pages them by cursor", async () => {
    const all = await cluster.api("GET", "/api/v1/workflows");
    expect(all.status).toBe(200);
    expect(all.body.workflows.map((w: { id: number }) => w.id)).toEqual([ids.open, ids.single, ids.map50, ids.partial]);
    expect(all.body.next).toBeNull();
    const map50 = all.body.workflows.find((w: { id: number }) => w.id === ids.map50);
    expect(map50).toMatchObject({ name: "map50", user: admin, status: "finished", nTasks: 1, nJobs: 50, nFinished: 50, progress: 100 });
    expect(map50.tasks).toEqual({ done: 1 });
    const partial = all.body.workflows.find((w: { id: number }) => w.id === ids.partial);
    expect(partial).toMatchObject({ status: "subfinished", nTasks: 3, nJobs: 7, nFinished: 3, nFailed: 4 });

    const running = await cluster.api("GET", "/api/v1/workflows?status=running");
    expect(running.body.workflows.map((w: { id: number }) => w.id)).toEqual([ids.open]);
    const named = await cluster.api("GET", "/api/v1/workflows?name=MAP*&fields=id,name");
    expect(named.body.workflows).toEqual([{ id: ids.map50, name: "map50" }]);

    const seen: number[] = [];
    for (let cursor: number | null = null, pages = 0; pages < 10; pages++) {
      const page: { status: number; body: { workflows: Array<{ id: number }>; next: number | null } } = await cluster.api(
        "GET",
        `/api/v1/workflows?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      seen.push(...page.body.workflows.map((w) => w.id));
      if (page.body.next === null) break;
      cursor = page.body.next;
    }
    expect(seen).toEqual([ids.open, ids.single, ids.map50, ids.partial]);

    const bad = await cluster.api("GET", "/api/v1/workflows?status=sleeping&limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/status/);
  });

  it("shows a task's failed jobs through the state filter, and errors grouped by code and message", async () => {
    const wf = await cluster.api("GET", `/api/v1/workflows/${ids.partial}`);
    const picky = wf.body.tasks.find((t: { work: string }) => t.work === "picky");
    expect(picky.nRunning).toBe(0);
    const failed = await cluster.api("GET", `/api/v1/tasks/${picky.id}/jobs?state=failed`);
    expect(failed.body.jobs).toHaveLength(1);
    expect(failed.body.jobs[0]).toMatchObject({ index: 2, state: "failed", attempts: 2 });
    expect(failed.body.jobs[0].error.message).toBe("3 is the bad one");
    const paged = await cluster.api("GET", `/api/v1/tasks/${picky.id}/jobs?limit=3&fields=index,state`);
    expect(paged.body).toEqual({
      jobs: [
        { index: 0, state: "finished" },
        { index: 1, state: "finished" },
        { index: 2, state: "failed" },
      ],
      next: 3,
    });
    const rest = await cluster.api("GET", `/api/v1/tasks/${picky.id}/jobs?limit=3&cursor=3&fields=index`);
    expect(rest.body).toEqual({ jobs: [{ index: 3 }], next: null });

    const errors = await cluster.api("GET", `/api/v1/workflows/${ids.partial}/errors`);
    const groups = errors.body as Array<{ code: string; message: string; count: number; exampleJobs: unknown[] }>;
    expect(groups.map((g) => [g.code, g.message, g.count]).sort()).toEqual([
      ["user_error", "3 is the bad one", 1],
      ["user_error", "a", 1],
      ["user_error", "b", 1],
      ["user_error", "single boom", 1],
    ]);
    expect(groups.every((g) => g.exampleJobs.length === 1)).toBe(true);
    const taskErrors = await cluster.api("GET", `/api/v1/tasks/${picky.id}/errors`);
    expect(taskErrors.body).toHaveLength(1);
  });

  it("gives a task's timeline in buckets, numeric results per task, and the pilots", async () => {
    const wf = await cluster.api("GET", `/api/v1/workflows/${ids.map50}`);
    const timeline = await cluster.api("GET", `/api/v1/tasks/${wf.body.tasks[0].id}/timeline?buckets=20`);
    expect(timeline.body.buckets).toHaveLength(20);
    const sum = (k: string) => timeline.body.buckets.reduce((n: number, b: Record<string, number>) => n + b[k]!, 0);
    expect(sum("started")).toBe(50);
    expect(sum("ended")).toBe(50);
    expect(timeline.body.buckets.at(-1).running).toBe(0);

    const objective = await cluster.api("GET", `/api/v1/workflows/${ids.map50}/objective`);
    expect(objective.body.field).toBe("");
    expect(objective.body.tasks[0].values).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    expect(objective.body.declared).toBeNull();

    // Each job's arguments and result as cells, a bounded page at a time.
    const taskId = wf.body.tasks[0].id;
    const first = await cluster.api("GET", `/api/v1/tasks/${taskId}/job-values?limit=2`);
    expect(first.body.jobs.map((j: { index: number; args: unknown; result: unknown }) => [j.index, j.args, j.result])).toEqual([
      [0, { arg0: 0 }, { value: 0 }],
      [1, { arg0: 1 }, { value: 1 }],
    ]);
    const last = await cluster.api("GET", `/api/v1/tasks/${taskId}/job-values?cursor=${first.body.next + 47}`);
    expect([last.body.jobs.map((j: { index: number }) => j.index), last.body.next]).toEqual([[49], null]);
    const tooMany = await cluster.api("GET", `/api/v1/tasks/${taskId}/job-values?limit=5000`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toBe("query.limit: must be at most 1000: follow `next` for more");
    const finished = await cluster.api("GET", `/api/v1/workflows/${ids.map50}/job-values?limit=1000`);
    expect(finished.body.jobs).toHaveLength(50);

    const pilots = await cluster.api("GET", "/api/v1/pilots?status=running");
    expect(pilots.body.pilots).toHaveLength(2);
    expect(pilots.body.pilots[0]).toMatchObject({ queue: "local", slots: 2, status: "running", running: 0 });
  });

  it("keeps users to their own workflows, and lists and revokes tokens", async () => {
    const created = await cluster.api("POST", "/api/v1/tokens", { name: "bob-laptop", user: "bob" });
    const bob = created.body.token as string;
    const own = await cluster.api("GET", "/api/v1/workflows", undefined, bob);
    expect(own.body).toEqual({ workflows: [], next: null });
    const other = await cluster.api("GET", `/api/v1/workflows?user=${admin}`, undefined, bob);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe(`only administrators may list the workflows of other users (here: '${admin}')`);
    expect((await cluster.api("GET", `/api/v1/workflows/${ids.map50}/errors`, undefined, bob)).status).toBe(403);

    const listed = await cluster.api("GET", "/api/v1/tokens?all=true");
    const record = listed.body.find((t: { name: string }) => t.name === "bob-laptop");
    expect(record).toMatchObject({ user: "bob", kind: "user", revokedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(bob);
    expect((await cluster.api("GET", "/api/v1/tokens?all=true", undefined, bob)).status).toBe(403);
    const revoked = await cluster.api("DELETE", `/api/v1/tokens/${record.id}`, undefined, bob);
    expect(revoked.body.revokedAt).toBeGreaterThan(0);
    expect((await cluster.api("GET", "/api/v1/workflows", undefined, bob)).status).toBe(401);
  });

  it("streams a change event when a workflow appears", async () => {
    const text = await readEvents(`${cluster.url}/api/v1/events`, cluster.credentials.userToken, /event: change/, 10_000, async () => {
      await cluster.api("POST", "/api/v1/workflows", { name: "announced" });
    });
    expect(text).toContain("retry: 2000");
    expect(text).toMatch(/event: change\ndata: \{"at":\d+\}/);
    const bad = await cluster.api("GET", "/api/v1/events?workflow=999999");
    expect(bad.status).toBe(404);
  });

  it("prunes ended workflows with an archive, and never a running one", async () => {
    const refused = await cluster.api("DELETE", `/api/v1/workflows/${ids.open}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(`workflow ${ids.open} has not ended; kill it first (pando kill ${ids.open}) or wait for it to end`);

    const archive = mkdtempSync(join(tmpdir(), "pando-archive-"));
    try {
      const pando = (...args: string[]) =>
        spawnSync(process.execPath, [CLI, "prune", ...args, "--server", cluster.url, "--token", cluster.credentials.userToken, "--json"], {
          cwd: ROOT,
          encoding: "utf8",
        });
      const dry = JSON.parse(pando("--older-than", "0s", "--dry-run").stdout);
      expect(dry.workflows).toEqual([ids.single, ids.map50, ids.partial]);
      expect(dry.deleted.workflows).toBe(0);

      const r = pando("--older-than", "0s", "--archive", archive);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      // SQLite would hand the newest ids out again: the newest ended workflow waits for a newer one there.
      const pruned = cluster.databaseUrl ? [ids.single, ids.map50, ids.partial] : [ids.map50, ids.partial];
      expect(out.deleted).toMatchObject({ workflows: pruned.length, jobs: cluster.databaseUrl ? 58 : 57 });
      if (!cluster.databaseUrl) expect(out.kept.map((k: { id: number }) => k.id)).toEqual([ids.single]);
      for (const id of pruned) expect((await cluster.api("GET", `/api/v1/workflows/${id}`)).status).toBe(404);
      expect((await cluster.api("GET", `/api/v1/workflows/${ids.open}`)).body.status).toBe("running");

      expect(readdirSync(archive).sort()).toEqual([ids.single, ids.map50, ids.partial].map((id) => `workflow-${id}.jsonl.gz`).sort());
      const lines = gunzipSync(readFileSync(join(archive, `workflow-${ids.partial}.jsonl.gz`)))
        .toString("utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { type: string; row: Record<string, unknown> & { attempts?: unknown[] } });
      expect(lines[0]).toMatchObject({ type: "workflow", row: { id: ids.partial, name: "partial" } });
      expect(lines.filter((l) => l.type === "task")).toHaveLength(3);
      const jobs = lines.filter((l) => l.type === "job");
      expect(jobs).toHaveLength(7);
      expect(jobs.find((j) => j.row.state === "failed")!.row.attempts!.length).toBeGreaterThanOrEqual(1);
    } finally {
      rmSync(archive, { recursive: true, force: true });
    }
  });

  it("refuses a malformed --older-than with a clear message", () => {
    const r = spawnSync(process.execPath, [CLI, "prune", "--older-than", "soon", "--server", cluster.url], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("'soon' is not a duration; write e.g. 500ms, 10s, 2m, 1h or 30d");
  });
});

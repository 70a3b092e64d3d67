// A task of 100,000 jobs end to end (`pando run --server`, simulated pilots), the driver's and the server's
// memory measured meanwhile; then the same database grown to 1,000,000 jobs (the finished task copied into new
// workflows in SQL: running them all would take most of the benchmark's time) and the monitor's API calls timed.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import pg from "pg";
import { apiCaller } from "../../src/api/caller.js";
import { HttpTransport } from "../../src/sdk/http.js";
import { endpoints, latencies } from "../monitor-calls.js";
import { CLI, stop } from "../server-process.js";
import { freshServer, type Cluster } from "./cluster.js";
import type { LoadOptions } from "./load.js";
import { peakRss } from "./proc-stats.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const LOAD = resolve(import.meta.dirname, "load.ts");
const WORKFLOWS = 1000;
const CALLS = 30;

export interface BigTaskFigures {
  jobs: number;
  wallS: number;
  driverPeakRssMiB: number;
  serverPeakRssMiB: number;
  storedJobs: number;
  monitor: Record<string, { p50: number; p95: number }>;
}

/** The peak resident memory of a child process, polled while it runs (its VmHWM is gone once it exits). */
function watchRss(proc: ChildProcess): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, peakRss(proc.pid!));
    } catch {
      // exited between two polls
    }
  }, 100);
  proc.once("exit", () => clearInterval(timer));
  return () => peak;
}

/** Every column of a table but the named ones: copies keep the rest as they are. */
async function columns(db: pg.Client, table: string, except: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position", [table]);
  return rows.map((r) => r.column_name).filter((c) => !except.includes(c));
}

/** Copies a workflow with its tasks, jobs and attempts `copies` times; returns the jobs stored in all. */
async function copyWorkflow(url: string, workflowId: number, copies: number): Promise<number> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const wf = await columns(db, "workflows", ["id"]);
    const task = await columns(db, "tasks", ["id", "workflow_id"]);
    const job = await columns(db, "jobs", ["id", "task_id"]);
    const attempt = await columns(db, "attempts", ["job_id"]);
    const list = (cols: string[], prefix = "") => cols.map((c) => `${prefix}${c}`).join(", ");
    for (let i = 0; i < copies; i++) {
      await db.query("BEGIN");
      const { rows: w } = await db.query<{ id: string }>(`INSERT INTO workflows (${list(wf)}) SELECT ${list(wf)} FROM workflows WHERE id = $1 RETURNING id`, [workflowId]);
      const { rows: tasks } = await db.query<{ id: string }>("SELECT id FROM tasks WHERE workflow_id = $1 ORDER BY id", [workflowId]);
      for (const t of tasks) {
        const { rows: nt } = await db.query<{ id: string }>(
          `INSERT INTO tasks (workflow_id, ${list(task)}) SELECT $1, ${list(task)} FROM tasks WHERE id = $2 RETURNING id`,
          [w[0]!.id, t.id],
        );
        await db.query(`INSERT INTO jobs (task_id, ${list(job)}) SELECT $1, ${list(job)} FROM jobs WHERE task_id = $2`, [nt[0]!.id, t.id]);
        await db.query(
          `INSERT INTO attempts (job_id, ${list(attempt)}) SELECT nj.id, ${list(attempt, "a.")} FROM attempts a
             JOIN jobs oj ON oj.id = a.job_id JOIN jobs nj ON nj.task_id = $1 AND nj.idx = oj.idx WHERE oj.task_id = $2`,
          [nt[0]!.id, t.id],
        );
      }
      await db.query("COMMIT");
    }
    await db.query("VACUUM ANALYZE");
    const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM jobs");
    return Number(rows[0]!.n);
  } finally {
    await db.end();
  }
}

export async function measureBigTask(cluster: Cluster, jobs: number, storedJobs: number): Promise<BigTaskFigures> {
  const dbName = "scale_big";
  const server = await freshServer(cluster, dbName);
  const http = new HttpTransport(server.url, server.creds.userToken);
  const api = apiCaller(http);
  const options: LoadOptions = { server: server.url, userToken: server.creds.userToken, pilotToken: server.creds.pilotToken, pilots: 10, slots: 1000, jobMs: 0, taskJobs: 0, rampS: 0, sharedConnections: 0 };
  const gen = spawn(process.execPath, ["--import", "tsx", LOAD, JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const lines = createInterface({ input: gen.stdout! })[Symbol.asyncIterator]();
    if ((await lines.next()).value !== "ready") throw new Error("the simulated pilots did not get ready");
    // The workflows listing pages through many workflows, as a monitor of a busy server does.
    for (let i = 0; i < WORKFLOWS - 1 - Math.ceil(storedJobs / jobs); i++) {
      const { id } = await api.createWorkflow({ body: { name: `bench.empty.${i}` } });
      await api.closeWorkflow({ params: { id }, body: { outcome: i % 10 === 0 ? "threw" : "returned", error: { message: "x" } } });
    }
    const t0 = performance.now();
    const driver = spawn(process.execPath, [CLI, "run", "bench/monitor-load.ts#fill", String(jobs), "--json", "--quiet", "--server", server.url, "--token", server.creds.userToken], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const driverPeak = watchRss(driver);
    const code = await new Promise<number | null>((r) => driver.once("exit", r));
    const wallS = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`the ${jobs}-job driver exited with ${code}`);
    const serverPeakRssMiB = peakRss(server.proc.pid!) / 2 ** 20;
    gen.kill("SIGKILL");
    const page = await api.listWorkflows({ query: { name: "bench.fill", limit: 1 } });
    const workflowId = page.workflows[0]!.id;
    const wf = await api.getWorkflow({ params: { id: workflowId } });
    const ids = { workflowId, taskId: wf.tasks[0]!.id };
    const stored = await copyWorkflow(cluster.url(dbName), workflowId, Math.ceil(storedJobs / jobs) - 1);
    const monitor = await latencies(endpoints(api, ids, { workflows: WORKFLOWS, jobs }), CALLS);
    return { jobs, wallS, driverPeakRssMiB: driverPeak() / 2 ** 20, serverPeakRssMiB, storedJobs: stored, monitor };
  } finally {
    gen.kill("SIGKILL");
    await http.close();
    await stop(server.proc);
    rmSync(server.dir, { recursive: true, force: true });
  }
}

// graphile-worker measurements, done the same way as Pando's (bench/pando-noop.ts) on the same durable
// PostgreSQL: worker processes of their own (bench/graphile-worker-process.ts), jobs added by the submitter.
// graphile-worker returns no results and deletes a job when it completes, so completion is detected from
// its jobs table: (a) the table drained (polled every 5 ms); (b) a row trigger on the table's deletes that
// NOTIFYs the submitter, which LISTENs (PostgreSQL's own push, delivered when the completion commits).
import { fork, type ChildProcess } from "node:child_process";
import { makeWorkerUtils, runMigrations, type WorkerUtils } from "graphile-worker";
import pg from "pg";
import type { Throughput } from "./bullmq.js";
import { measureLatency, type Latency } from "./stats.js";
import { stop } from "./server-process.js";

export interface GraphileSetting {
  processes: number;
  concurrency: number;
  /** graphile-worker's localQueue.size: jobs each process locks and holds in one fetch (-1: off). */
  localQueue: number;
  /**
   * graphile-worker's completeJobBatchDelay (and failJobBatchDelay), ms: completions within it are written
   * in one statement (-1: each its own commit). A killed worker may then run such jobs again, never lose them.
   */
  batchDelay: number;
}

const JOBS_TABLE = "graphile_worker._private_jobs";
const DONE_CHANNEL = "pando_bench_done";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startWorker(db: string, s: GraphileSetting): Promise<ChildProcess> {
  const child = fork(new URL("./graphile-worker-process.ts", import.meta.url), [db, String(s.concurrency), String(s.localQueue), String(s.batchDelay)], {
    execArgv: ["--import", "tsx"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`a graphile-worker process exited with code ${code}`)));
  });
}

async function withGraphile<T>(db: string, s: GraphileSetting, body: (utils: WorkerUtils, client: pg.Client) => Promise<T>): Promise<T> {
  await runMigrations({ connectionString: db });
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  const utils = await makeWorkerUtils({ connectionString: db });
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < s.processes; i++) workers.push(await startWorker(db, s));
    return await body(utils, client);
  } finally {
    await Promise.all(workers.map(stop));
    await utils.release();
    await client.end();
  }
}

async function drained(client: pg.Client): Promise<void> {
  for (;;) {
    const r = await client.query<{ left: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${JOBS_TABLE}) AS left`);
    if (!r.rows[0]!.left) return;
    await sleep(5);
  }
}

async function addAll(utils: WorkerUtils, from: number, n: number): Promise<void> {
  for (let start = from; start < from + n; start += 1000) {
    const count = Math.min(1000, from + n - start);
    await utils.addJobs(Array.from({ length: count }, (_, k) => ({ identifier: "noop", payload: { i: start + k } })));
  }
}

export function graphileThroughput(db: string, s: GraphileSetting, n: number): Promise<Throughput> {
  return withGraphile(db, s, async (utils, client) => {
    await addAll(utils, 0, 500);
    await drained(client);
    const t0 = performance.now();
    await addAll(utils, 0, n);
    await drained(client);
    const ms = performance.now() - t0;
    return { n, ms, jobsPerSecond: (n / ms) * 1000 };
  });
}

export function graphileLatency(db: string, s: GraphileSetting, n: number): Promise<Latency> {
  return withGraphile(db, s, async (utils, client) => {
    await client.query(`
      CREATE FUNCTION pando_bench_done() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('${DONE_CHANNEL}', OLD.id::text); RETURN NULL; END $$;
      CREATE TRIGGER pando_bench_done AFTER DELETE ON ${JOBS_TABLE} FOR EACH ROW EXECUTE FUNCTION pando_bench_done();
      LISTEN ${DONE_CHANNEL};`);
    // Completions arrive on the listening connection, addJob's answers on another: either may come first.
    const waiting = new Map<string, () => void>();
    const doneEarly = new Set<string>();
    client.on("notification", (msg) => {
      const id = msg.payload ?? "";
      const done = waiting.get(id);
      if (done) done();
      else doneEarly.add(id);
    });
    const call = async (i: number) => {
      const id = String((await utils.addJob("noop", { i })).id);
      if (!doneEarly.delete(id)) await new Promise<void>((resolve) => waiting.set(id, resolve));
      waiting.delete(id);
    };
    return measureLatency(n, 20, call);
  });
}

// pg-boss measurements, done the same way as Pando's (bench/pando-noop.ts) on the same durable PostgreSQL:
// worker processes of their own (bench/pg-boss-worker.ts), jobs sent by the submitter. pg-boss has no push
// to the submitter either, so completion is read with its own API: (a) no job of the queue left before
// `completed` (getQueueSize, polled every 10 ms); (b) the job's state (getJobById, polled every 2 ms: far
// below the workers' 0.5 s polling floor, which sets pg-boss's latency).
import { fork, type ChildProcess } from "node:child_process";
import PgBoss from "pg-boss";
import type { Throughput } from "./bullmq.js";
import { measureLatency, type Latency } from "./stats.js";
import { stop } from "./server-process.js";

export interface PgBossSetting {
  processes: number;
  /** Jobs a worker takes per fetch. */
  batchSize: number;
}

const QUEUE = "pando-bench";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startWorker(db: string, s: PgBossSetting): Promise<ChildProcess> {
  const child = fork(new URL("./pg-boss-worker.ts", import.meta.url), [db, QUEUE, String(s.batchSize)], { execArgv: ["--import", "tsx"] });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`a pg-boss worker exited with code ${code}`)));
  });
}

async function withPgBoss<T>(db: string, s: PgBossSetting, body: (boss: PgBoss) => Promise<T>): Promise<T> {
  const boss = new PgBoss({ connectionString: db, supervise: false, schedule: false });
  boss.on("error", (err: Error) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  await boss.createQueue(QUEUE);
  const workers: ChildProcess[] = [];
  try {
    for (let i = 0; i < s.processes; i++) workers.push(await startWorker(db, s));
    return await body(boss);
  } finally {
    await Promise.all(workers.map(stop));
    await boss.stop({ graceful: false, wait: true });
  }
}

async function allCompleted(boss: PgBoss): Promise<void> {
  while ((await boss.getQueueSize(QUEUE, { before: "completed" })) > 0) await sleep(10);
}

async function sendAll(boss: PgBoss, n: number): Promise<void> {
  for (let start = 0; start < n; start += 1000) {
    const count = Math.min(1000, n - start);
    await boss.insert(Array.from({ length: count }, (_, k) => ({ name: QUEUE, data: { i: start + k } })));
  }
}

export function pgBossThroughput(db: string, s: PgBossSetting, n: number): Promise<Throughput> {
  return withPgBoss(db, s, async (boss) => {
    await sendAll(boss, 500);
    await allCompleted(boss);
    const t0 = performance.now();
    await sendAll(boss, n);
    await allCompleted(boss);
    const ms = performance.now() - t0;
    return { n, ms, jobsPerSecond: (n / ms) * 1000 };
  });
}

export function pgBossLatency(db: string, s: PgBossSetting, n: number, warmUp = 20): Promise<Latency> {
  return withPgBoss(db, s, async (boss) => {
    const call = async (i: number) => {
      const id = await boss.send(QUEUE, { i });
      if (!id) throw new Error("pg-boss did not accept the job");
      while ((await boss.getJobById(QUEUE, id))?.state !== "completed") await sleep(2);
    };
    return measureLatency(n, warmUp, call);
  });
}

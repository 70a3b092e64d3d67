// `npm run bench` (part): Pando on PostgreSQL (one `pando server`, two one-slot pilots) beside graphile-worker
// and pg-boss, on the same durable PostgreSQL (bench/durable-postgres.ts: fsync and synchronous_commit on),
// a fresh database for each measurement, the systems alternated (their order reversed every other run).
// Shapes as in bench/run.ts: (a) 20,000 no-op jobs after 500 to warm up, submission → all done in the
// submitter's hands; (b) 500 single calls one after another after 20 to warm up, p50 and p99.
// Median of PANDO_BENCH_REPEAT runs (default 3); raw numbers in bench/results/postgres.json.
// PANDO_BENCH_PG_SYSTEMS (comma-separated: pando, graphile2x1, graphileBest, pgBoss) picks some systems.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type { Throughput } from "./bullmq.js";
import type { Latency } from "./stats.js";
import { withDurablePostgres, type DurableCluster } from "./durable-postgres.js";
import { graphileLatency, graphileThroughput, type GraphileSetting } from "./graphile-worker.js";
import { measureServers } from "./pando-servers.js";
import { pgBossLatency, pgBossThroughput, type PgBossSetting } from "./pg-boss.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const JOBS = 20_000;
const CALLS = 500;

const GRAPHILE_2X1: GraphileSetting = { processes: 2, concurrency: 1, localQueue: -1, batchDelay: -1 };
// Its documentation's settings for throughput: a local queue and completions batched (delay 0).
const GRAPHILE_BEST: GraphileSetting = { processes: 2, concurrency: 10, localQueue: 200, batchDelay: 0 };
const PG_BOSS_BEST: PgBossSetting = { processes: 2, batchSize: 1000 };

interface PostgresRun {
  jobsPerSecond: number;
  p50: number;
  p99: number;
}

type System = "pando" | "graphile2x1" | "graphileBest" | "pgBoss";

const LABELS: Record<System, string> = {
  pando: "Pando, one server, 2 pilots × 1 slot (results returned)",
  graphile2x1: "graphile-worker 0.17, 2 processes × concurrency 1 (no results; completion: jobs table drained / NOTIFY on delete)",
  graphileBest: "graphile-worker 0.17, 2 processes × concurrency 10, localQueue 200, completions batched (no results; completion: jobs table drained / NOTIFY on delete)",
  pgBoss: "pg-boss 10, 2 processes, batch 1,000 per fetch, polling every 0.5 s (its floor; completion read by polling its API)",
};

const merge = (t: Throughput, l: Latency): PostgresRun => ({ jobsPerSecond: t.jobsPerSecond, p50: l.p50, p99: l.p99 });

async function measure(system: System, cluster: DurableCluster, run: number): Promise<PostgresRun> {
  const db = (shape: string) => cluster.freshDatabase(`${system.toLowerCase()}_${shape}_${run}`);
  switch (system) {
    case "pando":
      return measureServers(db("both"), 1);
    case "graphile2x1":
      return merge(await graphileThroughput(db("a"), GRAPHILE_2X1, JOBS), await graphileLatency(db("b"), GRAPHILE_2X1, CALLS));
    case "graphileBest":
      return merge(await graphileThroughput(db("a"), GRAPHILE_BEST, JOBS), await graphileLatency(db("b"), GRAPHILE_BEST, CALLS));
    case "pgBoss":
      return merge(await pgBossThroughput(db("a"), PG_BOSS_BEST, JOBS), await pgBossLatency(db("b"), PG_BOSS_BEST, CALLS));
  }
}

function chosenSystems(list: string | undefined): System[] {
  const known = Object.keys(LABELS) as System[];
  const wanted = list?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((s) => !(known as string[]).includes(s)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`PANDO_BENCH_PG_SYSTEMS names no system called ${unknown.join(", ")}; the systems are: ${known.join(", ")}\n`);
    process.exit(2);
  }
  return known.filter((s) => !wanted?.length || wanted.includes(s));
}

async function main(): Promise<void> {
  const systems = chosenSystems(process.env.PANDO_BENCH_PG_SYSTEMS);
  const runs: Partial<Record<System, PostgresRun[]>> = {};
  await withDurablePostgres(async (cluster) => {
    for (let i = 0; i < REPEAT; i++) {
      for (const system of i % 2 === 0 ? systems : [...systems].reverse()) {
        const r = await measure(system, cluster, i);
        (runs[system] ??= []).push(r);
        process.stderr.write(`postgres: ${system} ${r.jobsPerSecond.toFixed(0)} jobs/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms\n`);
      }
      process.stderr.write(`postgres: run ${i + 1}/${REPEAT} done\n`);
    }
  });
  const throughput = (s: System) => median(runs[s]!.map((r) => r.jobsPerSecond));
  // The run of the median p50, with its own p99 (as bench/run.ts and the summary report it).
  const latency = (s: System) => {
    const p50 = median(runs[s]!.map((r) => r.p50));
    return runs[s]!.find((r) => r.p50 === p50)!;
  };
  process.stdout.write(
    [
      `PostgreSQL with fsync and synchronous_commit on; ${cpus().length} cores, Node ${process.version}; median of ${REPEAT} runs.`,
      "",
      "| system | no-op throughput, 20,000 jobs, jobs/s | warm latency p50, ms | p99 (of that run), ms |",
      "| --- | --- | --- | --- |",
      ...systems.map((s) => `| ${LABELS[s]} | ${throughput(s).toFixed(0)} | ${latency(s).p50.toFixed(2)} | ${latency(s).p99.toFixed(2)} |`),
    ].join("\n") + "\n",
  );
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "postgres.json"), `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, runs }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

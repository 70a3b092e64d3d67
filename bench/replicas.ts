// `npm run bench` (part): Pando on PostgreSQL with one and two server replicas, beside SQLite, the same no-op
// benchmarks (bench/pando-noop.ts) through `pando run --server` (bench/pando-servers.ts). PostgreSQL is the
// durable benchmark cluster (bench/durable-postgres.ts: fsync and synchronous_commit on), a fresh database
// per measurement. Two pilots in every setup; with two replicas, one pilot on each and the driver on the
// first. Median of PANDO_BENCH_REPEAT runs.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { withDurablePostgres } from "./durable-postgres.js";
import { measureServers, type ServerRun } from "./pando-servers.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const SETUPS = [
  ["SQLite, one server", 0],
  ["PostgreSQL, one replica", 1],
  ["PostgreSQL, two replicas", 2],
] as const;

async function main(): Promise<void> {
  const runs: Record<string, ServerRun[]> = {};
  await withDurablePostgres(async (cluster) => {
    for (let i = 0; i < REPEAT; i++) {
      for (const [name, replicas] of SETUPS) {
        const db = replicas === 0 ? undefined : cluster.freshDatabase(`replicas_${replicas}_${i}`);
        (runs[name] ??= []).push(await measureServers(db, replicas));
      }
      process.stderr.write(`replicas: run ${i + 1}/${REPEAT} done\n`);
    }
  });
  const m = (name: string, key: keyof ServerRun) => median(runs[name]!.map((r) => r[key]));
  process.stdout.write(
    [
      `Median of ${REPEAT} runs; 2 pilots; driver on the first server; PostgreSQL with fsync and synchronous_commit on.`,
      "",
      "| setup | no-op throughput, 20,000 jobs, jobs/s | warm latency p50, ms | p99, ms |",
      "| --- | --- | --- | --- |",
      ...SETUPS.map(([name]) => `| ${name} | ${m(name, "jobsPerSecond").toFixed(0)} | ${m(name, "p50").toFixed(2)} | ${m(name, "p99").toFixed(2)} |`),
    ].join("\n") + "\n",
  );
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "replicas.json"), `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, runs }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

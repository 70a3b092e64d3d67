// `npm run bench`: Pando's embedded default against BullMQ on a local Redis, side by side in one run.
//   PANDO_BENCH_REPEAT (default 3) runs of each; the median run is reported.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bullmqLatency, bullmqThroughput, type Latency, type Throughput } from "./bullmq.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REDIS = join(ROOT, "scripts", "services", "redis.sh");
const REDIS_PORT = 6390;
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const THROUGHPUT_JOBS = 20_000;
const LATENCY_CALLS = 500;

function pando<T>(target: string, arg: number): T {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  try {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "dist", "cli", "main.js"), "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--data-dir", dataDir],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`pando run ${target} failed:\n${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function medianRun<T>(runs: T[], by: (r: T) => number): T {
  const m = median(runs.map(by));
  return runs.find((r) => by(r) === m)!;
}

/** Redis runs only while BullMQ is measured: even idle, it slows the machine for whatever runs beside it. */
async function withRedis<T>(body: () => Promise<T>): Promise<T> {
  execFileSync(REDIS, ["up", String(REDIS_PORT)], { stdio: "ignore" });
  try {
    return await body();
  } finally {
    execFileSync(REDIS, ["down", String(REDIS_PORT)], { stdio: "ignore" });
  }
}

async function main(): Promise<void> {
  const results: { pando: { throughput: Throughput[]; latency: Latency[] }; bullmq: { throughput: Throughput[]; latency: Latency[] } } = {
    pando: { throughput: [], latency: [] },
    bullmq: { throughput: [], latency: [] },
  };
  for (let i = 0; i < REPEAT; i++) {
    // Alternate the systems so that neither always runs on a warmer machine.
    results.bullmq.throughput.push(await withRedis(() => bullmqThroughput(REDIS_PORT, THROUGHPUT_JOBS)));
    results.pando.throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS));
    results.pando.latency.push(pando<Latency>("latency", LATENCY_CALLS));
    results.bullmq.latency.push(await withRedis(() => bullmqLatency(REDIS_PORT, LATENCY_CALLS)));
    process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
  }
  const pt = medianRun(results.pando.throughput, (r) => r.jobsPerSecond);
  const bt = medianRun(results.bullmq.throughput, (r) => r.jobsPerSecond);
  const pl = medianRun(results.pando.latency, (r) => r.p50);
  const bl = medianRun(results.bullmq.latency, (r) => r.p50);
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const table = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; median of ${REPEAT} runs.`,
    "",
    "| benchmark | Pando (embedded: SQLite, 2 local pilots) | BullMQ (Redis AOF everysec, worker concurrency 500) | Pando / BullMQ |",
    "| --- | --- | --- | --- |",
    `| (a) no-op throughput, ${THROUGHPUT_JOBS} jobs in one task | ${fmt(pt.jobsPerSecond)} jobs/s | ${fmt(bt.jobsPerSecond)} jobs/s | ${fmt(pt.jobsPerSecond / bt.jobsPerSecond, 2)} |`,
    `| (b) warm latency p50, ${LATENCY_CALLS} sequential calls | ${fmt(pl.p50, 2)} ms | ${fmt(bl.p50, 2)} ms | ${fmt(pl.p50 / bl.p50, 2)} |`,
    `| (b) warm latency p99 | ${fmt(pl.p99, 2)} ms | ${fmt(bl.p99, 2)} ms | ${fmt(pl.p99 / bl.p99, 2)} |`,
  ].join("\n");
  process.stdout.write(`${table}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "latest.json"), `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

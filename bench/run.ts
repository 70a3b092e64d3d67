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
const ACTIVEMQ = join(ROOT, "scripts", "services", "activemq.sh");
const ACTIVEMQ_PORT = 61690;
const BROKER_ENV = { PANDO_BROKER_USER: "pando", PANDO_BROKER_PASSWORD: "pando-bench" };
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const THROUGHPUT_JOBS = 20_000;
const LATENCY_CALLS = 500;

function pando<T>(target: string, arg: number, broker?: string): T {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  try {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "dist", "cli", "main.js"), "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--data-dir", dataDir],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...BROKER_ENV, PANDO_BROKER: broker ?? "" } },
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

/**
 * ActiveMQ runs only while Pando's broker path is measured, for the same reason. A freshly started JVM is
 * slow until its JIT has compiled the hot paths, so one run of each benchmark warms it first (unrecorded):
 * a broker in service is warm.
 */
function withActiveMq<T>(body: (url: string) => T): T {
  const env = { ...process.env, ...BROKER_ENV };
  const url = `stomp://127.0.0.1:${ACTIVEMQ_PORT}`;
  execFileSync(ACTIVEMQ, ["up", String(ACTIVEMQ_PORT)], { stdio: "ignore", env });
  try {
    pando<Throughput>("throughput", THROUGHPUT_JOBS, url);
    pando<Latency>("latency", LATENCY_CALLS, url);
    return body(url);
  } finally {
    execFileSync(ACTIVEMQ, ["purge", String(ACTIVEMQ_PORT)], { stdio: "ignore", env });
  }
}

interface Runs {
  throughput: Throughput[];
  latency: Latency[];
}

async function main(): Promise<void> {
  const results: { pando: Runs; pandoBroker: Runs; bullmq: Runs } = {
    pando: { throughput: [], latency: [] },
    pandoBroker: { throughput: [], latency: [] },
    bullmq: { throughput: [], latency: [] },
  };
  for (let i = 0; i < REPEAT; i++) {
    // Alternate the systems so that none always runs on a warmer machine.
    results.bullmq.throughput.push(await withRedis(() => bullmqThroughput(REDIS_PORT, THROUGHPUT_JOBS)));
    results.pando.throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS));
    withActiveMq((broker) => {
      results.pandoBroker.throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS, broker));
      results.pandoBroker.latency.push(pando<Latency>("latency", LATENCY_CALLS, broker));
    });
    results.pando.latency.push(pando<Latency>("latency", LATENCY_CALLS));
    results.bullmq.latency.push(await withRedis(() => bullmqLatency(REDIS_PORT, LATENCY_CALLS)));
    process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
  }
  const thr = (r: Runs) => medianRun(r.throughput, (x) => x.jobsPerSecond);
  const lat = (r: Runs) => medianRun(r.latency, (x) => x.p50);
  const [pt, kt, bt] = [thr(results.pando), thr(results.pandoBroker), thr(results.bullmq)];
  const [pl, kl, bl] = [lat(results.pando), lat(results.pandoBroker), lat(results.bullmq)];
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const table = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; median of ${REPEAT} runs.`,
    "",
    "| benchmark | Pando, REST | Pando, ActiveMQ | BullMQ | REST / BullMQ | ActiveMQ / BullMQ | ActiveMQ / REST |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    `| (a) no-op throughput, ${THROUGHPUT_JOBS} jobs, jobs/s | ${fmt(pt.jobsPerSecond)} | ${fmt(kt.jobsPerSecond)} | ${fmt(bt.jobsPerSecond)} | ${fmt(pt.jobsPerSecond / bt.jobsPerSecond, 2)} | ${fmt(kt.jobsPerSecond / bt.jobsPerSecond, 2)} | ${fmt(kt.jobsPerSecond / pt.jobsPerSecond, 2)} |`,
    `| (b) warm latency p50, ms | ${fmt(pl.p50, 2)} | ${fmt(kl.p50, 2)} | ${fmt(bl.p50, 2)} | ${fmt(pl.p50 / bl.p50, 2)} | ${fmt(kl.p50 / bl.p50, 2)} | ${fmt(kl.p50 / pl.p50, 2)} |`,
    `| (b) warm latency p99, ms | ${fmt(pl.p99, 2)} | ${fmt(kl.p99, 2)} | ${fmt(bl.p99, 2)} | ${fmt(pl.p99 / bl.p99, 2)} | ${fmt(kl.p99 / bl.p99, 2)} | ${fmt(kl.p99 / pl.p99, 2)} |`,
  ].join("\n");
  process.stdout.write(`${table}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "latest.json"), `${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

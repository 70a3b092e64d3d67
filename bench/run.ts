// `npm run bench`: Pando's embedded default against BullMQ on a local Redis, side by side in one run.
//   PANDO_BENCH_REPEAT (default 3) runs of each; the median run is reported.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bullmqLatency, bullmqThroughput, type Throughput } from "./bullmq.js";
import type { Latency } from "./stats.js";
import { median } from "./stats.js";
import { BROKER_ENV } from "./broker-logins.js";

const ROOT = resolve(import.meta.dirname, "..");
const REDIS = join(ROOT, "scripts", "services", "redis.sh");
const REDIS_PORT = 6390;
const BROKERS = { activemq: 61690, rabbitmq: 61691 } as const;
type BrokerKind = keyof typeof BROKERS;
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const THROUGHPUT_JOBS = 20_000;
const LATENCY_CALLS = 500;

/** `--pilot-processes`: the embedded server's pilots as child processes, rather than in the run's own process. */
const PILOT_PROCESSES = ["--pilot-processes"];

function pando<T>(target: string, arg: number, broker?: string, flags: readonly string[] = []): T {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  try {
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "dist", "cli", "main.js"), "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--data-dir", dataDir, ...flags],
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
 * A broker runs only while Pando's broker path is measured, for the same reason. A freshly started broker
 * (ActiveMQ's JVM above all) is slow until it has warmed up, so one run of each benchmark goes first,
 * unrecorded: a broker in service is warm.
 */
function withBroker<T>(kind: BrokerKind, body: (url: string) => T): T {
  const env = { ...process.env, ...BROKER_ENV };
  const script = join(ROOT, "scripts", "services", `${kind}.sh`);
  const port = String(BROKERS[kind]);
  const url = `stomp://127.0.0.1:${port}`;
  execFileSync(script, ["up", port], { stdio: "ignore", env });
  try {
    pando<Throughput>("throughput", THROUGHPUT_JOBS, url);
    pando<Latency>("latency", LATENCY_CALLS, url);
    return body(url);
  } finally {
    execFileSync(script, ["purge", port], { stdio: "ignore", env });
  }
}

interface Runs {
  throughput: Throughput[];
  latency: Latency[];
}

async function main(): Promise<void> {
  const results: Record<"pando" | "pilotProcesses" | BrokerKind | "bullmq", Runs> = {
    pando: { throughput: [], latency: [] },
    pilotProcesses: { throughput: [], latency: [] },
    activemq: { throughput: [], latency: [] },
    rabbitmq: { throughput: [], latency: [] },
    bullmq: { throughput: [], latency: [] },
  };
  for (let i = 0; i < REPEAT; i++) {
    // Alternate the systems so that none always runs on a warmer machine.
    results.bullmq.throughput.push(await withRedis(() => bullmqThroughput(REDIS_PORT, THROUGHPUT_JOBS)));
    results.pando.throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS));
    results.pilotProcesses.throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS, undefined, PILOT_PROCESSES));
    for (const kind of Object.keys(BROKERS) as BrokerKind[]) {
      withBroker(kind, (broker) => {
        results[kind].throughput.push(pando<Throughput>("throughput", THROUGHPUT_JOBS, broker));
        results[kind].latency.push(pando<Latency>("latency", LATENCY_CALLS, broker));
      });
    }
    results.pando.latency.push(pando<Latency>("latency", LATENCY_CALLS));
    results.pilotProcesses.latency.push(pando<Latency>("latency", LATENCY_CALLS, undefined, PILOT_PROCESSES));
    results.bullmq.latency.push(await withRedis(() => bullmqLatency(REDIS_PORT, LATENCY_CALLS)));
    process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
  }
  const thr = (r: Runs) => medianRun(r.throughput, (x) => x.jobsPerSecond);
  const lat = (r: Runs) => medianRun(r.latency, (x) => x.p50);
  const columns = [
    ["Pando, REST", results.pando],
    ["Pando, REST, pilot processes", results.pilotProcesses],
    ["Pando, ActiveMQ", results.activemq],
    ["Pando, RabbitMQ", results.rabbitmq],
    ["BullMQ", results.bullmq],
  ] as const;
  const b = { t: thr(results.bullmq), l: lat(results.bullmq) };
  const row = (name: string, value: (r: Runs) => number, digits: number, baseline: number) =>
    `| ${name} | ${columns.map(([, r]) => `${value(r).toFixed(digits)} (${(value(r) / baseline).toFixed(2)})`).join(" | ")} |`;
  const table = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; median of ${REPEAT} runs; in brackets, the ratio to BullMQ.`,
    "",
    `| benchmark | ${columns.map(([name]) => name).join(" | ")} |`,
    `| --- | ${columns.map(() => "---").join(" | ")} |`,
    row(`(a) no-op throughput, ${THROUGHPUT_JOBS} jobs, jobs/s`, (r) => thr(r).jobsPerSecond, 0, b.t.jobsPerSecond),
    row(`(b) warm latency p50 (${LATENCY_CALLS} calls), ms`, (r) => lat(r).p50, 2, b.l.p50),
    row("(b) warm latency p99, ms", (r) => lat(r).p99, 2, b.l.p99),
  ].join("\n");
  process.stdout.write(`${table}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "run.json"), `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

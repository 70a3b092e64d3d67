// `npm run bench:scale`: one server on a durable PostgreSQL cluster (fsync and synchronous_commit on) under
// simulated pilots (bench/scale/), from 2 to 10,000 of them, with ~50,000 jobs held; then a task of 100,000
// jobs end to end, and the monitor's API on 1,000,000 stored jobs. Writes bench/results/scale.json and prints
// the BENCHMARKS.md "Scale" tables. PANDO_BENCH_SCALE_PILOTS="1000,5000" measures other pilot counts,
// PANDO_BENCH_SCALE_ROUNDS=2 measures the reference and every pilot count twice, in turn.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { measureBigTask, type BigTaskFigures } from "./scale/big-task.js";
import { durableCluster, SCALE_PG_PORT } from "./scale/cluster.js";
import { measureSim, type SimFigures } from "./scale/sim-run.js";

const ROOT = resolve(import.meta.dirname, "..");
/** Jobs held by all pilots together at every pilot count. */
const HELD = 50_000;
/**
 * 50,000 slots of 2 s jobs can take 25,000 jobs/s, about twice what the 2-pilot reference dispatches (12,000–
 * 13,500 jobs/s where this was measured): the server's dispatch, not the jobs' length, bounds the rate at
 * every pilot count. With 5 s jobs the bound, 10,000 jobs/s, came below 80 % of the reference.
 */
const JOB_MS = Number(process.env.PANDO_BENCH_SCALE_JOB_MS ?? 2_000);
const WINDOW_S = Number(process.env.PANDO_BENCH_SCALE_WINDOW_S ?? 30);
const PILOTS = (process.env.PANDO_BENCH_SCALE_PILOTS ?? "1000,5000,10000").split(",").map(Number).filter((n) => n > 0);
const BIG_TASK = Number(process.env.PANDO_BENCH_SCALE_TASK_JOBS ?? 100_000);
const STORED = Number(process.env.PANDO_BENCH_SCALE_STORED_JOBS ?? 1_000_000);
/** The connections each generator process's pilots share for their short requests (0: each pilot its own four). */
const SHARED_CONNECTIONS = Number(process.env.PANDO_BENCH_SCALE_SHARED_CONNECTIONS ?? 1000);
/** Rounds of the reference and every pilot count, one after the other (the machine's load moves single runs). */
const ROUNDS = Math.max(1, Number(process.env.PANDO_BENCH_SCALE_ROUNDS ?? 1));

const f0 = (n: number) => Math.round(n).toLocaleString("en-US");
const f1 = (n: number) => n.toFixed(1);

/** The median; of an even count, the mean of the middle two. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One measurement of the reference or of a pilot count, with the reference of its own round. */
interface RoundRun {
  round: number;
  run: SimFigures;
  reference: SimFigures;
}

/** What the server did per second of a run's window: requests by route, store operations with their mean time. */
function breakdown(r: SimFigures): string {
  const requests = Object.entries(r.requestsPerS).map(([k, n]) => `  ${f0(n)}/s ${k}`);
  const operations = Object.entries(r.storeOperationsPerS).map(([k, o]) => `  ${f0(o.perS)}/s ${k} (${f1(o.meanMs)} ms)`);
  return [`${f0(r.pilots)} pilots, requests:`, ...requests, "store operations:", ...operations, ""].join("\n");
}

function simTable(rows: RoundRun[]): string[] {
  return [
    "| round | pilots × slots | job time | jobs/s | vs 2 pilots | jobs held | jobs queued, least (mean) | long-polls held | acquire p50 / p99 ms | server RSS MiB (peak) | server CPU % | event-loop lag p99 / max ms | registration s | 5xx answers | pilots' errors |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(({ round, run: r, reference }) => {
      const errors = Object.values(r.errors).reduce((n, e) => n + e, 0);
      const failures = Object.values(r.serverFailures).reduce((n, e) => n + e, 0);
      return `| ${round} | ${f0(r.pilots)} × ${r.slots} | ${r.jobMs / 1000} s | ${f0(r.serverJobsPerS)} | ${(r.serverJobsPerS / reference.serverJobsPerS).toFixed(2)} | ${f0(r.running)} | ${f0(r.queuedMin)} (${f0(r.queuedMean)}) | ${f0(r.longPollsHeld)} | ${f1(r.acquireP50Ms)} / ${f1(r.acquireP99Ms)} | ${f0(r.serverRssMiB)} (${f0(r.serverPeakRssMiB)}) | ${f0(r.serverCpuPct)} | ${f1(r.eventLoopLagP99Ms)} / ${f1(r.eventLoopLagMaxMs)} | ${r.registerS === null ? `${f0(r.registered)} of ${f0(r.pilots)} in 120` : f1(r.registerS)} | ${failures} | ${errors} |`;
    }),
  ];
}

/** Per pilot count, the medians over the rounds of jobs/s and of the ratio to the round's reference. */
function medianLines(rows: RoundRun[]): string[] {
  const counts = [...new Set(rows.map((r) => r.run.pilots))];
  return counts.map((pilots) => {
    const of = rows.filter((r) => r.run.pilots === pilots);
    const ratio = median(of.map((r) => r.run.serverJobsPerS / r.reference.serverJobsPerS));
    return `${f0(pilots)} pilots, median of ${of.length}: ${f0(median(of.map((r) => r.run.serverJobsPerS)))} jobs/s, ${ratio.toFixed(2)} of the reference.`;
  });
}

function bigTable(b: BigTaskFigures): string[] {
  return [
    `A task of ${f0(b.jobs)} jobs (\`pando run --server\`, 10 simulated pilots × 1,000 slots): ${f1(b.wallS)} s; driver peak RSS ${f0(b.driverPeakRssMiB)} MiB, server peak RSS ${f0(b.serverPeakRssMiB)} MiB.`,
    "",
    `The monitor's API calls with ${f0(b.storedJobs)} jobs stored (the task above and copies of it, ~1,000 workflows), ms over 30 calls:`,
    "",
    "| call | p50 | p95 |",
    "| --- | --- | --- |",
    ...Object.entries(b.monitor).map(([name, v]) => `| ${name} | ${f1(v.p50)} | ${f1(v.p95)} |`),
  ];
}

async function main(): Promise<void> {
  const started = performance.now();
  const cluster = durableCluster(Number(process.env.PANDO_BENCH_SCALE_PG_PORT ?? SCALE_PG_PORT));
  try {
    const rows: RoundRun[] = [];
    const failed: string[] = [];
    // PANDO_BENCH_SCALE_PILOTS=0: no pilots, no reference.
    for (let round = 1; PILOTS.length > 0 && round <= ROUNDS; round++) {
      // The reference: two pilots that can take every job at once, jobs of 0.1 s; real pilots' connections (four each).
      const reference = await measureSim(cluster, { pilots: 2, slots: 1000, jobMs: 100, windowS: WINDOW_S, rampS: 30, taskJobs: 5000, sharedConnections: 0 });
      process.stderr.write(`round ${round}, 2 pilots: ${f0(reference.serverJobsPerS)} jobs/s\n${breakdown(reference)}`);
      rows.push({ round, run: reference, reference });
      for (const pilots of PILOTS) {
        try {
          const r = await measureSim(cluster, { pilots, slots: Math.ceil(HELD / pilots), jobMs: JOB_MS, windowS: WINDOW_S, rampS: 90, taskJobs: 10_000, sharedConnections: SHARED_CONNECTIONS });
          process.stderr.write(`round ${round}, ${pilots} pilots: ${f0(r.serverJobsPerS)} jobs/s, ${f0(r.running)} held, ${f0(r.queuedMin)} queued at least, p99 ${f1(r.acquireP99Ms)} ms, RSS ${f0(r.serverRssMiB)} MiB\n${breakdown(r)}`);
          rows.push({ round, run: r, reference });
        } catch (err) {
          // A pilot count the server cannot hold is a result too: the rest is still measured.
          failed.push(`${f0(pilots)} pilots (round ${round}): ${err instanceof Error ? err.message : String(err)}`);
          process.stderr.write(`${failed.at(-1)}\n`);
        }
      }
    }
    // PANDO_BENCH_SCALE_TASK_JOBS=0: the pilots only.
    const big = BIG_TASK > 0 ? await measureBigTask(cluster, BIG_TASK, STORED) : undefined;
    const minutes = (performance.now() - started) / 60_000;
    const lines = [
      ...(rows.length > 0 ? [...simTable(rows), "", ...medianLines(rows)] : []),
      ...failed.map((f) => `\nNot measured: ${f}.`),
      "",
      ...(big ? bigTable(big) : []),
      "",
      `The whole run took ${f1(minutes)} minutes.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
    writeFileSync(join(ROOT, "bench", "results", "scale.json"), `${JSON.stringify({ date: new Date().toISOString(), minutes, rounds: ROUNDS, sharedConnections: SHARED_CONNECTIONS, runs: rows, failed, big }, null, 2)}\n`);
  } finally {
    cluster.down();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

// An executor's start-up in parts, and what an idle one holds: `npx tsx bench/executor-startup.ts` (after
// `npm run build`). Starts executors the way a pilot does (dist/pilot/executor-handle.js), one at a time,
// PANDO_BENCH_REPEAT times (default 7) in each mode, the modes alternated: without a sandbox and in the
// bubblewrap sandbox. For each: spawn → node started (sandbox set up, Node booted) → executor modules loaded →
// bundle imported → ready (its pilot heard), and the CPU time it used by its first job's end; then the first no-op jobs one after the other, each timed from
// the pilot's send to its result; then the executor's memory: its own (process.memoryUsage() in a job: RSS,
// V8 heap used and reserved) and its process tree's RSS (bwrap included) from /proc.
// PANDO_BENCH_EXECUTOR_MODES=none,bwrap picks modes; PANDO_BENCH_EXECUTOR_ROOT starts the executors of
// another checkout (its dist/, built), for a before and after. Writes bench/results/executor-startup.json
// (PANDO_BENCH_EXECUTOR_OUT: elsewhere).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { median } from "./stats.js";
import type * as Bundler from "../src/bundle/bundler.js";
import type * as Cache from "../src/bundle/cache.js";
import type * as Handle from "../src/pilot/executor-handle.js";
import type * as SandboxProbe from "../src/pilot/sandbox-probe.js";
import type * as TaggedJson from "../src/codec/tagged-json.js";
import type { DispatchedJob } from "../src/core/dispatch-records.js";
import type { StartupTiming } from "../src/core/startup-timing.js";
import type { Executor } from "../src/pilot/executor-interface.js";
import type { JobDone } from "../src/pilot/executor-protocol.js";
import type { ProbeResult } from "./executor-probe.js";
import { treeRssKiB } from "./process-tree.js";

const ROOT = resolve(import.meta.dirname, "..");
const dist = (path: string) => join(process.env.PANDO_BENCH_EXECUTOR_ROOT ?? ROOT, "dist", path);
const { bundleEntry } = (await import(dist("bundle/bundler.js"))) as typeof Bundler;
const { BundleCache } = (await import(dist("bundle/cache.js"))) as typeof Cache;
const { ExecutorHandle } = (await import(dist("pilot/executor-handle.js"))) as typeof Handle;
const { pilotSandbox } = (await import(dist("pilot/sandbox-probe.js"))) as typeof SandboxProbe;
const { encode, decode } = (await import(dist("codec/tagged-json.js"))) as typeof TaggedJson;

const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 7);
const JOBS = 5;
const MODES = (process.env.PANDO_BENCH_EXECUTOR_MODES ?? "none,bwrap").split(",") as Array<"none" | "bwrap">;
const MIB = 1024 * 1024;

interface Sample {
  mode: string;
  /** Ms each part of the start-up took, in order. */
  parts: Record<string, number>;
  /** Ms of each job, from the pilot's send to its result, in order. */
  jobsMs: number[];
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  treeRssMiB: number;
  /** CPU time the executor used by its first job's end (start-up and one no-op job). */
  firstJobCpuMs: number;
}

const work = mkdtempSync(join(tmpdir(), "pando-bench-executor-"));
const log = pino({ level: "warn" });
const bundle = await bundleEntry(join(ROOT, "bench", "executor-probe.ts"));
const bundlePath = new BundleCache(join(work, "bundles")).put(bundle.hash, bundle.code);

async function sample(mode: "none" | "bwrap"): Promise<Sample> {
  const sandbox = mode === "none" ? undefined : pilotSandbox({ mode: "bwrap" }, log);
  let startup: StartupTiming | undefined;
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  let finished: ((done: JobDone) => void) | undefined;
  let exited!: () => void;
  const gone = new Promise<void>((r) => (exited = r));
  const events = {
    onReady: () => ready(),
    onLoadFailed: (_ex: Executor, error: { message: string }) => {
      throw new Error(`the probe bundle did not load: ${error.message}`);
    },
    onDone: (_ex: Executor, done: JobDone) => finished?.(done),
    onExit: () => exited(),
  };
  const settings = {
    maxPayloadBytes: 1 << 20,
    maxLogChars: 10_000,
    label: "bench executor",
    serverUrl: "http://127.0.0.1:9",
    workRoot: join(work, "work"),
    cacheDir: join(work, "bundles"),
    secrets: [],
    sandbox,
    onTiming: (t: StartupTiming) => (startup = t),
  };
  const ex = new ExecutorHandle("probe", bundle.hash, bundlePath, settings, {}, events);
  await isReady;
  if (startup?.kind !== "executor") throw new Error("the executor said nothing of its start-up");
  const s = startup.startup;
  const parts = {
    "node started (sandbox set up, node booted)": s.processStarted - s.spawned,
    "executor modules loaded": s.loaded - s.processStarted,
    "bundle imported": s.bundleImported - s.loaded,
    "ready (its pilot heard)": s.ready - s.bundleImported,
    "spawn to ready": s.ready - s.spawned,
  };
  const jobsMs: number[] = [];
  let last: ProbeResult | undefined;
  let firstJobCpuMs = 0;
  for (let i = 1; i <= JOBS; i++) {
    const job: DispatchedJob = {
      jobId: i, attempt: 1, taskId: 1, workflowId: 1, owner: 1, index: i, key: `k${i}`, work: "probe", bundleHash: bundle.hash,
      args: encode([]), channel: "c", resultKey: "r", kind: "work", walltimeMs: 0, memoryMb: 0,
    };
    const t0 = performance.now();
    const done = await new Promise<JobDone>((r) => {
      finished = r;
      ex.run([job]);
    });
    jobsMs.push(performance.now() - t0);
    if (!done.ok) throw new Error(`the probe job failed: ${done.error?.message}`);
    last = decode(done.result!) as ProbeResult;
    if (i === 1) firstJobCpuMs = last.cpuMs;
  }
  // Idle a moment after its jobs, as a warm executor waits for the next one.
  await new Promise((r) => setTimeout(r, 300));
  const treeRssMiB = treeRssKiB(ex.pid!) / 1024;
  ex.kill();
  await gone;
  return {
    mode, parts, jobsMs, treeRssMiB, firstJobCpuMs,
    rssMiB: last!.rss / MIB, heapUsedMiB: last!.heapUsed / MIB, heapTotalMiB: last!.heapTotal / MIB, externalMiB: last!.external / MIB,
  };
}

const samples: Sample[] = [];
try {
  for (let i = 0; i < REPEAT; i++) {
    for (const mode of MODES) samples.push(await sample(mode));
    process.stderr.write(`executor-startup: run ${i + 1}/${REPEAT} done\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const fmt = (n: number) => n.toFixed(1);
const of = (mode: string) => samples.filter((s) => s.mode === mode);
const partNames = Object.keys(samples[0]!.parts);
const lines = [
  `Median of ${REPEAT} executors started one at a time per mode, modes alternated; Node ${process.version}.`,
  "",
  `| part | ${MODES.map((m) => (m === "none" ? "no sandbox" : "bubblewrap sandbox")).join(" | ")} |`,
  `| --- | ${MODES.map(() => "---:").join(" | ")} |`,
  ...partNames.map((p) => `| ${p}, ms | ${MODES.map((m) => fmt(median(of(m).map((s) => s.parts[p]!)))).join(" | ")} |`),
  `| CPU time of the executor by its first job's end, ms | ${MODES.map((m) => fmt(median(of(m).map((s) => s.firstJobCpuMs)))).join(" | ")} |`,
  ...Array.from({ length: JOBS }, (_, j) => `| job ${j + 1} (no-op, the pilot's send to its result), ms | ${MODES.map((m) => fmt(median(of(m).map((s) => s.jobsMs[j]!)))).join(" | ")} |`),
  `| idle executor: RSS (its Node), MiB | ${MODES.map((m) => fmt(median(of(m).map((s) => s.rssMiB)))).join(" | ")} |`,
  `| idle executor: V8 heap used / reserved, MiB | ${MODES.map((m) => `${fmt(median(of(m).map((s) => s.heapUsedMiB)))} / ${fmt(median(of(m).map((s) => s.heapTotalMiB)))}`).join(" | ")} |`,
  `| idle executor: external (buffers), MiB | ${MODES.map((m) => fmt(median(of(m).map((s) => s.externalMiB)))).join(" | ")} |`,
  `| idle executor: process tree RSS (bwrap included), MiB | ${MODES.map((m) => fmt(median(of(m).map((s) => s.treeRssMiB)))).join(" | ")} |`,
];
process.stdout.write(`${lines.join("\n")}\n`);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(process.env.PANDO_BENCH_EXECUTOR_OUT ?? join(ROOT, "bench", "results", "executor-startup.json"), `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, samples }, null, 2)}\n`);

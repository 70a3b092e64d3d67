// `npm run bench` (part): cold start, `pando run examples/hello/hello.ts#hello 5` from a fresh data
// directory each time, PANDO_BENCH_REPEAT runs (default 5) with the build cache cold (an empty one each run)
// alternated with runs with it warm (filled by a run before). Measured: the wall time of the whole command,
// the peak resident memory of its process tree (summed over the processes alive at each sample), and the
// steps `pando run --timings` prints for this process; and the same with `--pilot-processes` (build cache
// cold). Writes bench/results/cold-start.json.
// PANDO_BENCH_COLD_CLI runs another build's dist/cli/main.js (a checkout of an older commit) for a before and
// after, and PANDO_BENCH_COLD_OUT writes its results elsewhere.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { median } from "./stats.js";
import { processTree, rssKiB } from "./process-tree.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 5);
const TARGET = ["examples/hello/hello.ts#hello", "5"];
const SAMPLE_MS = 20;
const CLI = process.env.PANDO_BENCH_COLD_CLI ?? join(ROOT, "dist", "cli", "main.js");
const OUT = process.env.PANDO_BENCH_COLD_OUT ?? join(ROOT, "bench", "results", "cold-start.json");

interface Run {
  /** The build cache empty or filled; "processes": empty, with `--pilot-processes`. */
  cache: "cold" | "warm" | "processes";
  wallMs: number;
  peakRssMiB: number;
  /** When each step of this process ended, in ms since it started (`pando run --timings`). */
  steps: Record<string, number>;
}

/** The steps of "this process" in a --timings report, by name. */
function stepsOf(stderr: string): Record<string, number> {
  const report = stderr.slice(stderr.indexOf("timings: "));
  const own = report.split("\n  pilot ")[0]!;
  const steps: Record<string, number> = {};
  for (const m of own.matchAll(/^\s+(\d+)\s+(?:\+\d+)?\s+(.+)$/gm)) steps[m[2]!] = Number(m[1]);
  return steps;
}

// The runs' directories, removed once every run is over. On a filesystem without a journal (this benchmark's
// virtual machine's ext4) the kernel does not reuse an inode freed in the last minute or more and checks each
// such inode it passes when it makes a file: with each run's directories removed after it, the next runs'
// project files took several times longer to create (BENCHMARKS.md, "Cold start").
const leftovers: string[] = [];

function run(cache: Run["cache"], cacheDir: string): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-cold-"));
  return new Promise((settle, fail) => {
    const t0 = performance.now();
    const flags = cache === "processes" ? ["--pilot-processes"] : [];
    const proc = spawn(process.execPath, [CLI, "run", ...TARGET, "--json", "--quiet", "--timings", "--data-dir", dataDir, ...flags], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PANDO_BROKER: "", PANDO_SERVER: "", PANDO_DB: "", PANDO_BUILD_CACHE: cacheDir },
    });
    let peakKiB = 0;
    const sampler = setInterval(() => {
      if (proc.pid === undefined) return;
      peakKiB = Math.max(peakKiB, processTree(proc.pid).reduce((sum, pid) => sum + rssKiB(pid), 0));
    }, SAMPLE_MS);
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    proc.once("exit", (code) => {
      const wallMs = performance.now() - t0;
      clearInterval(sampler);
      leftovers.push(dataDir);
      if (code !== 0 || (JSON.parse(stdout) as { sum?: number }).sum !== 30) return fail(new Error(`pando run failed (${code}):\n${stderr}`));
      settle({ cache, wallMs, peakRssMiB: peakKiB / 1024, steps: stepsOf(stderr) });
    });
  });
}

const runs: Run[] = [];
const warmCache = mkdtempSync(join(tmpdir(), "pando-bench-build-cache-"));
try {
  // Fills the warm cache; not counted.
  await run("cold", warmCache);
  for (let i = 0; i < REPEAT; i++) {
    for (const kind of ["cold", "processes"] as const) {
      const coldCache = mkdtempSync(join(tmpdir(), "pando-bench-build-cache-"));
      leftovers.push(coldCache);
      runs.push(await run(kind, coldCache));
    }
    runs.push(await run("warm", warmCache));
  }
} finally {
  for (const dir of [warmCache, ...leftovers]) rmSync(dir, { recursive: true, force: true });
}

const of = (cache: Run["cache"]) => runs.filter((r) => r.cache === cache);
const stepNames = [...new Set(runs.flatMap((r) => Object.keys(r.steps)))];
const medianSteps = (rs: Run[]) => Object.fromEntries(stepNames.map((s) => [s, median(rs.map((r) => r.steps[s]).filter((v): v is number => v !== undefined))]));
const result = {
  wallMs: median(of("cold").map((r) => r.wallMs)),
  warmCacheWallMs: median(of("warm").map((r) => r.wallMs)),
  peakRssMiB: median([...of("cold"), ...of("warm")].map((r) => r.peakRssMiB)),
  pilotProcesses: { wallMs: median(of("processes").map((r) => r.wallMs)), peakRssMiB: median(of("processes").map((r) => r.peakRssMiB)) },
  steps: { cold: medianSteps(of("cold")), warm: medianSteps(of("warm")), pilotProcesses: medianSteps(of("processes")) },
  runs,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `cold start (${REPEAT} runs each, medians): build cache cold ${result.wallMs.toFixed(0)} ms, warm ${result.warmCacheWallMs.toFixed(0)} ms; ` +
    `peak RSS of the process tree ${result.peakRssMiB.toFixed(0)} MiB; pilot processes (cache cold) ${result.pilotProcesses.wallMs.toFixed(0)} ms, ` +
    `${result.pilotProcesses.peakRssMiB.toFixed(0)} MiB\n`,
);
// A step of one mode only (the bundle is either built or taken from the cache) shows "—" in the other.
const ms = (at: number | undefined) => (at === undefined || !Number.isFinite(at) ? "—" : `${Math.round(at)} ms`);
const steps = [...new Set([...Object.keys(result.steps.cold), ...Object.keys(result.steps.warm)])];
for (const step of steps) process.stdout.write(`  ${ms(result.steps.cold[step]).padStart(9)}  ${step} (warm cache: ${ms(result.steps.warm[step])})\n`);

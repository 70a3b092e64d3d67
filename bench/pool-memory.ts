// What warming costs a many-slot pilot: `pando run bench/executor-probe.ts#probeCalls 2 --pilots 1 --slots N`
// (N = PANDO_BENCH_POOL_SLOTS, default 32) from a fresh data directory, PANDO_BENCH_REPEAT runs (default 3);
// measured: the executors the pilot started (as `--timings` lists them), the peak resident memory of the
// process tree (summed over its processes at each 20 ms sample) and the wall time. PANDO_BENCH_POOL_BASE_CLI
// names another build's dist/cli/main.js, run alternated with this one, for a before and after.
// `npx tsx bench/pool-memory.ts` after `npm run build`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median } from "./stats.js";
import { treeRssKiB } from "./process-tree.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const SLOTS = Number(process.env.PANDO_BENCH_POOL_SLOTS ?? 32);
const SAMPLE_MS = 20;
const builds: Array<[string, string]> = [["this build", join(ROOT, "dist", "cli", "main.js")]];
if (process.env.PANDO_BENCH_POOL_BASE_CLI) builds.unshift(["base", process.env.PANDO_BENCH_POOL_BASE_CLI]);

interface Run {
  build: string;
  executors: number;
  peakRssMiB: number;
  wallMs: number;
}

function run(build: string, cli: string): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-pool-"));
  return new Promise((settle, fail) => {
    const t0 = performance.now();
    const args = [cli, "run", "bench/executor-probe.ts#probeCalls", "2", "--json", "--quiet", "--timings", "--pilots", "1", "--slots", String(SLOTS), "--data-dir", dataDir];
    const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PANDO_BROKER: "", PANDO_SERVER: "", PANDO_DB: "" } });
    let peakKiB = 0;
    const sampler = setInterval(() => {
      if (proc.pid !== undefined) peakKiB = Math.max(peakKiB, treeRssKiB(proc.pid));
    }, SAMPLE_MS);
    let stderr = "";
    proc.stdout.resume();
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    proc.once("exit", (code) => {
      clearInterval(sampler);
      rmSync(dataDir, { recursive: true, force: true });
      if (code !== 0) return fail(new Error(`pando run failed (${code}):\n${stderr}`));
      settle({ build, executors: stderr.match(/^ {2}executor \d+ /gm)?.length ?? 0, peakRssMiB: peakKiB / 1024, wallMs: performance.now() - t0 });
    });
  });
}

const runs: Run[] = [];
for (let i = 0; i < REPEAT; i++) for (const [name, cli] of builds) runs.push(await run(name, cli));
process.stdout.write(`1 pilot × ${SLOTS} slots, median of ${REPEAT} runs each, alternated\n`);
for (const [name] of builds) {
  const rs = runs.filter((r) => r.build === name);
  process.stdout.write(
    `${name}: executors ${median(rs.map((r) => r.executors))}, peak RSS of the process tree ${median(rs.map((r) => r.peakRssMiB)).toFixed(0)} MiB ` +
      `(runs ${rs.map((r) => r.peakRssMiB.toFixed(0)).join(" / ")}), wall ${(median(rs.map((r) => r.wallMs)) / 1000).toFixed(2)} s\n`,
  );
}

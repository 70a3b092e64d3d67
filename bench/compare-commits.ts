// `npm run bench` (before/after part): the REST no-op benchmarks of bench/run.ts on an earlier commit and on
// the working tree, alternated in one run on the same machine, so that a change's cost is measured against
// the code it replaced rather than against a number from another day.
//   PANDO_BENCH_BASE (default HEAD~1): the commit to compare with; PANDO_BENCH_REPEAT (default 5) runs of each.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Throughput } from "./bullmq.js";
import type { Latency } from "./stats.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const BASE = process.env.PANDO_BENCH_BASE ?? "HEAD~1";
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 5);
const THROUGHPUT_JOBS = 20_000;
const LATENCY_CALLS = 500;

/** A checkout of `ref` beside the repository, built, sharing its node_modules (same dependencies, same versions). */
function checkout(ref: string): { dir: string; commit: string; remove: () => void } {
  const commit = execFileSync("git", ["rev-parse", "--short", ref], { cwd: ROOT, encoding: "utf8" }).trim();
  const parent = mkdtempSync(join(tmpdir(), "pando-bench-base-"));
  const dir = join(parent, "pando");
  execFileSync("git", ["worktree", "add", "--detach", dir, commit], { cwd: ROOT, stdio: "ignore" });
  const remove = () => {
    spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: ROOT, stdio: "ignore" });
    rmSync(parent, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    execFileSync("npm", ["run", "build"], { cwd: dir, stdio: "ignore" });
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, commit, remove };
}

/** One `pando run` of a target of bench/pando-noop.ts, with the code (CLI and library) of the tree at `dir`. */
function pando<T>(dir: string, target: string, arg: number): T {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  try {
    const run = spawnSync(
      process.execPath,
      [join(dir, "dist", "cli", "main.js"), "run", `bench/pando-noop.ts#${target}`, String(arg), "--json", "--quiet", "--data-dir", dataDir],
      { cwd: dir, encoding: "utf8", env: { ...process.env, PANDO_BROKER: "" } },
    );
    if (run.status !== 0) throw new Error(`pando run ${target} failed in ${dir}:\n${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Runs {
  throughput: number[];
  p50: number[];
  p99: number[];
}

function main(): void {
  const base = checkout(BASE);
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const trees = [
    { name: `before (${base.commit})`, dir: base.dir },
    { name: `after (${head}${spawnSync("git", ["diff", "--quiet", "HEAD"], { cwd: ROOT }).status === 0 ? "" : " + changes"})`, dir: ROOT },
  ];
  const runs = new Map(trees.map((t) => [t.name, { throughput: [], p50: [], p99: [] } as Runs]));
  try {
    for (let i = 0; i < REPEAT; i++) {
      // Alternate the order too, so that neither always runs on a warmer machine.
      for (const t of i % 2 === 0 ? trees : [...trees].reverse()) {
        const r = runs.get(t.name)!;
        r.throughput.push(pando<Throughput>(t.dir, "throughput", THROUGHPUT_JOBS).jobsPerSecond);
        const l = pando<Latency>(t.dir, "latency", LATENCY_CALLS);
        r.p50.push(l.p50);
        r.p99.push(l.p99);
      }
      process.stderr.write(`run ${i + 1}/${REPEAT} done\n`);
    }
  } finally {
    base.remove();
  }
  const cell = (values: number[], digits: number) => `${median(values).toFixed(digits)} (${values.map((v) => v.toFixed(digits)).join(" / ")})`;
  const lines = [
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}; REST path on the embedded default; median (runs) of ${REPEAT} alternated runs.`,
    "",
    "| code | no-op throughput, 20,000 jobs, jobs/s | warm latency p50, ms | p99, ms |",
    "| --- | --- | --- | --- |",
    ...trees.map((t) => {
      const r = runs.get(t.name)!;
      return `| ${t.name} | ${cell(r.throughput, 0)} | ${cell(r.p50, 2)} | ${cell(r.p99, 2)} |`;
    }),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(join(ROOT, "bench", "results", "compare-commits.json"), `${JSON.stringify({ date: new Date().toISOString(), base: base.commit, head, runs: Object.fromEntries(runs) }, null, 2)}\n`);
}

main();

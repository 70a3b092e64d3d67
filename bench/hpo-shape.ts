// `npm run bench` (part): the makespan of the paper's use case, 10 iterations × 20 evaluations of 1 s, one
// task per iteration (bench/hpo-loop.ts), with `pando run` on the embedded default and the pilots and slots
// of each setup. The ideal is 10 s: every evaluation of an iteration at once. Median of PANDO_BENCH_REPEAT
// runs (default 3). PANDO_BENCH_HPO selects setups by name (comma-separated), default all.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Measured, Shape } from "./hpo-loop.js";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const ITERATIONS = 10;
const POINTS = 20;
const MS = 1000;
const FAST_JOBS = 200;
const IDEAL_MS = ITERATIONS * MS;

interface Setup {
  name: string;
  pilots: number;
  slots: number;
  fastJobs: number;
  /** `--pilot-processes`: the pilots as child processes of the run (setups named `…-processes`). */
  processes?: boolean;
}

const SETUPS: Setup[] = [
  { name: "2x10", pilots: 2, slots: 10, fastJobs: 0 },
  { name: "2x10-after-fast", pilots: 2, slots: 10, fastJobs: FAST_JOBS },
  { name: "4x5-after-fast", pilots: 4, slots: 5, fastJobs: FAST_JOBS },
  { name: "20x1", pilots: 20, slots: 1, fastJobs: 0 },
  { name: "2x10-after-fast-processes", pilots: 2, slots: 10, fastJobs: FAST_JOBS, processes: true },
  { name: "20x1-processes", pilots: 20, slots: 1, fastJobs: 0, processes: true },
];

interface Run extends Measured {
  /** The whole `pando run`: start-up (server, pilots, executors), the fast task, the iterations, shutdown. */
  wallMs: number;
}

function run(setup: Setup): Run {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  const shape: Shape = { iterations: ITERATIONS, points: POINTS, ms: MS, fastJobs: setup.fastJobs };
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "dist", "cli", "main.js"), "run", "bench/hpo-loop.ts#hpo", JSON.stringify(shape), "--json", "--quiet",
        "--pilots", String(setup.pilots), "--slots", String(setup.slots), "--data-dir", dataDir, ...(setup.processes ? ["--pilot-processes"] : [])],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, PANDO_BROKER: "" } },
    );
    const wallMs = performance.now() - t0;
    if (r.status !== 0) throw new Error(`pando run (${setup.name}) failed:\n${r.stderr}`);
    return { ...(JSON.parse(r.stdout) as Measured), wallMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const wanted = process.env.PANDO_BENCH_HPO?.split(",");
const setups = SETUPS.filter((s) => !wanted || wanted.includes(s.name));
const runs = new Map<string, Run[]>(setups.map((s) => [s.name, []]));
for (let i = 0; i < REPEAT; i++) {
  for (const s of setups) runs.get(s.name)!.push(run(s));
  process.stderr.write(`hpo-shape: run ${i + 1}/${REPEAT} done\n`);
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rows = setups.map((s) => {
  const all = runs.get(s.name)!;
  const makespan = median(all.map((r) => r.makespanMs));
  const typical = all.find((r) => r.makespanMs === makespan)!;
  const its = typical.iterations;
  const first = its.slice(0, 3).map((it) => seconds(it.ms)).join(" / ");
  const atOnce = Math.min(...its.map((it) => it.atOnce));
  return (
    `| ${s.pilots} × ${s.slots}${s.fastJobs ? `, after ${s.fastJobs} jobs of 1 ms` : ""}${s.processes ? ", pilot processes" : ""} | ${seconds(makespan)} | ` +
    `${(makespan / IDEAL_MS).toFixed(3)} | ${first} | ${seconds(Math.max(...its.map((it) => it.ms)))} | ${atOnce} | ` +
    `${all.map((r) => seconds(r.makespanMs)).join(" / ")} | ${seconds(median(all.map((r) => r.wallMs)))} |`
  );
});
process.stdout.write(
  [
    `${ITERATIONS} iterations × ${POINTS} jobs of ${MS} ms, one task per iteration; ideal ${seconds(IDEAL_MS)} s. ` +
      `${cpus().length} cores, Node ${process.version}; median of ${REPEAT} runs.`,
    "",
    "| pilots × slots | makespan, s | × ideal | first iterations, s | slowest iteration, s | fewest jobs at once | runs, s | whole `pando run`, s |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n") + "\n",
);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(
  join(ROOT, "bench", "results", "hpo-shape.json"),
  `${JSON.stringify({ date: new Date().toISOString(), repeat: REPEAT, idealMs: IDEAL_MS, runs: Object.fromEntries(runs) }, null, 2)}\n`,
);

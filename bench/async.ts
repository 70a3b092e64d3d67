// `npm run bench` (second part): idle slots of an asynchronous optimisation loop against a blocking one,
// both on the embedded default with one pilot of 8 slots. Median of PANDO_BENCH_REPEAT runs.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median } from "./stats.js";

const ROOT = resolve(import.meta.dirname, "..");
const REPEAT = Number(process.env.PANDO_BENCH_REPEAT ?? 3);
const SLOTS = 8;

interface Measured {
  form: string;
  makespanMs: number;
  busyMs: number;
  idleSlotFraction: number;
}

function run(target: "blocking" | "asynchronous"): Measured {
  const dataDir = mkdtempSync(join(tmpdir(), "pando-bench-"));
  try {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "dist", "cli", "main.js"), "run", `bench/async-loop.ts#${target}`, String(SLOTS), "--json", "--quiet",
        "--pilots", "1", "--slots", String(SLOTS), "--data-dir", dataDir],
      { cwd: ROOT, encoding: "utf8", env: { ...process.env, PANDO_BROKER: "" } },
    );
    if (r.status !== 0) throw new Error(`pando run ${target} failed:\n${r.stderr}`);
    return JSON.parse(r.stdout) as Measured;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const runs: Record<string, Measured[]> = { blocking: [], asynchronous: [] };
for (let i = 0; i < REPEAT; i++) {
  runs.blocking!.push(run("blocking"));
  runs.asynchronous!.push(run("asynchronous"));
}
const m = (form: string, key: keyof Measured) => median(runs[form]!.map((r) => r[key] as number));
const rows = ["blocking", "asynchronous"].map(
  (f) => `| ${f} | ${m(f, "makespanMs").toFixed(0)} | ${m(f, "busyMs").toFixed(0)} | ${(100 * m(f, "idleSlotFraction")).toFixed(1)} % |`,
);
process.stdout.write(
  [
    `4 iterations × 8 evaluations (200 ms – 2 s each), 1 pilot × ${SLOTS} slots, median of ${REPEAT} runs; ` +
      `makespan ratio asynchronous / blocking: ${(m("asynchronous", "makespanMs") / m("blocking", "makespanMs")).toFixed(2)}`,
    "",
    "| loop | makespan, ms | busy slot time, ms | idle slot time |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n") + "\n",
);
mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
writeFileSync(join(ROOT, "bench", "results", "async.json"), `${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`);

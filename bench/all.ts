// `npm run bench`: every part (bench/parts.ts) one after the other, or those of PANDO_BENCH_ONLY, then the
// summary of this run into BENCHMARKS.md (bench/summary.ts). A part that fails is reported and the others
// still run; its rows say "not measured in this run", and the command exits non-zero.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { selectParts } from "./parts.js";
import { writeSummary } from "./summary.js";

const ROOT = resolve(import.meta.dirname, "..");

function main(): number {
  const parts = selectParts(process.env.PANDO_BENCH_ONLY);
  // File times have a coarser clock than Date.now() on some file systems: start a second early.
  const since = new Date(Date.now() - 1000);
  const ran: string[] = [];
  const failed: string[] = [];
  for (const part of parts) {
    const script = join(ROOT, "bench", `${part}.ts`);
    if (!existsSync(script)) {
      process.stderr.write(`bench: bench/${part}.ts is not there; ${part} is not measured\n`);
      failed.push(part);
      continue;
    }
    process.stderr.write(`bench: ${part}\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: ROOT, stdio: "inherit" });
    if (r.status === 0) ran.push(part);
    else {
      process.stderr.write(`bench: ${part} failed (${r.signal ?? `exit code ${r.status}`})\n`);
      failed.push(part);
    }
  }
  process.stdout.write(`\n${writeSummary(since, ran).join("\n")}\n`);
  if (failed.length > 0) process.stderr.write(`bench: not measured: ${failed.join(", ")}\n`);
  return failed.length > 0 ? 1 : 0;
}

try {
  process.exit(main());
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

// Writes the summary of one `npm run bench` into BENCHMARKS.md, between the markers below (the section is
// rewritten each run): the results of the parts that ran in this run (bench/results/<part>.json written
// since the run started), rendered by bench/summary-table.ts. A result file older than the run is never used.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { summaryTable, type SummaryInput } from "./summary-table.js";

const ROOT = resolve(import.meta.dirname, "..");
export const BENCHMARKS_MD = join(ROOT, "BENCHMARKS.md");
export const START_MARKER = "<!-- bench:summary -->";
export const END_MARKER = "<!-- /bench:summary -->";

/** The part's results if it wrote them since `since`; a file that is there but unreadable is reported. */
function readPart<T>(part: string, since: Date, has: (value: Record<string, unknown>) => boolean): T | undefined {
  const file = join(ROOT, "bench", "results", `${part}.json`);
  if (!existsSync(file) || statSync(file).mtime < since) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    if (has(value)) return value as T;
    process.stderr.write(`summary: ${file} lacks the fields the summary reads; its rows say "not measured"\n`);
  } catch (err) {
    process.stderr.write(`summary: ${file} is not JSON (${err instanceof Error ? err.message : String(err)}); its rows say "not measured"\n`);
  }
  return undefined;
}

export function readResults(since: Date): SummaryInput {
  return {
    run: readPart(
      "run",
      since,
      (v) => typeof v.results === "object" && v.results !== null && ["pando", "activemq", "rabbitmq", "bullmq"].every((k) => k in (v.results as object)),
    ),
    postgres: readPart("postgres", since, (v) => typeof v.runs === "object" && v.runs !== null),
    coldStart: readPart("cold-start", since, (v) => typeof v.wallMs === "number" && typeof v.peakRssMiB === "number"),
    hpo: readPart("hpo-shape", since, (v) => typeof v.idealMs === "number" && typeof v.runs === "object" && v.runs !== null),
    optimize: readPart("optimize", since, (v) => typeof v.results === "object" && v.results !== null),
  };
}

/** Replaces what stands between the markers of `markdown` with `lines`. */
export function replaceSection(markdown: string, lines: readonly string[]): string {
  const start = markdown.indexOf(START_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (start < 0 || end < start) {
    throw new Error(`BENCHMARKS.md has no "${START_MARKER}" … "${END_MARKER}" section: put the two markers where the summary goes`);
  }
  return `${markdown.slice(0, start + START_MARKER.length)}\n${lines.join("\n")}\n${markdown.slice(end)}`;
}

export function writeSummary(since: Date, parts: readonly string[]): string[] {
  const cpu = cpus();
  const lines = summaryTable(readResults(since), {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    machine: `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" / ")} at the end (the machine may be shared)`,
    repeat: `PANDO_BENCH_REPEAT=${process.env.PANDO_BENCH_REPEAT ?? "unset (each part's default)"}`,
    parts,
  });
  writeFileSync(BENCHMARKS_MD, replaceSection(readFileSync(BENCHMARKS_MD, "utf8"), lines));
  return lines;
}

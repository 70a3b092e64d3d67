// The hop trace's file sink: PANDO_TRACE_HOPS=<dir> makes a process write its hops (src/core/hop-trace.ts)
// to <dir>/<role>-<pid>.ndjson, one JSON record a line (after a line that relates the hop clock to the
// monotonic clock), buffered and appended at exit.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { flushHops, startHopTrace, type HopRecord } from "../core/hop-trace.js";
import { epochNow } from "../core/epoch-clock.js";

export const TRACE_HOPS_ENV = "PANDO_TRACE_HOPS";

/** What a line of the trace file holds: the record, and the process that wrote it. */
export interface HopLine extends HopRecord {
  role: string;
  pid: number;
}

/**
 * A file's first line: the hop clock and the monotonic clock (µs, the one CPU profiles' sample times use)
 * read together, so that a profile's samples can be placed among the hops.
 */
export interface ClockLine {
  role: string;
  pid: number;
  clock: { t: number; monotonicUs: number };
}

/**
 * Starts the hop trace of this process when PANDO_TRACE_HOPS names a directory (`role` says which process
 * it is: run, server, pilot, executor); records are flushed when the process exits.
 */
export function traceHopsFromEnv(role: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = env[TRACE_HOPS_ENV];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${role}-${process.pid}.ndjson`);
  const head = `"role":${JSON.stringify(role)},"pid":${process.pid},`;
  const clock: ClockLine = { role, pid: process.pid, clock: { t: epochNow(), monotonicUs: Number(process.hrtime.bigint() / 1000n) } };
  appendFileSync(file, `${JSON.stringify(clock)}\n`);
  startHopTrace((records) => {
    appendFileSync(file, records.map((r) => `{${head}${JSON.stringify(r).slice(1)}\n`).join(""));
  });
  process.on("exit", flushHops);
}

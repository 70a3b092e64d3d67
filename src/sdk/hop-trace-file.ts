// The hop trace's file sink: PANDO_TRACE_HOPS=<dir> makes a process write its hops (src/core/hop-trace.ts)
// to <dir>/<role>-<pid>.ndjson, one JSON record a line, buffered and appended at exit.
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { flushHops, startHopTrace, type HopRecord } from "../core/hop-trace.js";

export const TRACE_HOPS_ENV = "PANDO_TRACE_HOPS";

/** What a line of the trace file holds: the record, and the process that wrote it. */
export interface HopLine extends HopRecord {
  role: string;
  pid: number;
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
  startHopTrace((records) => {
    appendFileSync(file, records.map((r) => `{${head}${JSON.stringify(r).slice(1)}\n`).join(""));
  });
  process.on("exit", flushHops);
}

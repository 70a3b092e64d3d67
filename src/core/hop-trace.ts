// The hop-by-hop trace: timestamps of a job's steps through the driver, the server, the pilot and the
// executor, recorded in each process and merged afterwards (bench/hops.ts). Off unless a process starts it;
// off, a hop costs one boolean check and allocates nothing.
import { epochNow } from "./epoch-clock.js";

/** The steps of one job, in the order a warm single-job call crosses them. */
export const HOPS = [
  "driver.call",
  "driver.submit_sent",
  "server.submit_received",
  "server.recorded",
  "server.handed",
  "pilot.received",
  "pilot.to_executor",
  "executor.start",
  "executor.end",
  "pilot.result",
  "pilot.published",
  "pilot.report_sent",
  "server.report_received",
  "server.applied",
  "driver.submit_answered",
  "driver.woken",
  "driver.decoded",
] as const;

export type Hop = (typeof HOPS)[number];

/** One hop of one job. `task` or `job` is 0 where the process does not know it yet; `t` is in ms. */
export interface HopRecord {
  hop: Hop;
  task: number;
  job: number;
  attempt: number;
  t: number;
}

/** Where a process's records go, a batch at a time (a file, in the product; a list, in tests). */
export type HopSink = (records: readonly HopRecord[]) => void;

/** Records kept before the sink is called: large enough that writes are rare, small enough to bound memory. */
const BATCH = 4096;

let on = false;
let sink: HopSink | undefined;
let buffer: HopRecord[] = [];


/** Whether this process records hops; call sites that must compute something first check it. */
export function tracingHops(): boolean {
  return on;
}

/** Records this process's hops into `to` from now on. */
export function startHopTrace(to: HopSink): void {
  sink = to;
  on = true;
}

/** Hands the buffered records to the sink (at exit, and whenever a batch is full). */
export function flushHops(): void {
  if (!sink || buffer.length === 0) return;
  const out = buffer;
  buffer = [];
  sink(out);
}

/** Stops recording, after handing what was recorded to the sink. */
export function stopHopTrace(): void {
  flushHops();
  on = false;
  sink = undefined;
}

/** The hop happens now. */
export function hop(name: Hop, task: number, job: number, attempt: number): void {
  if (!on) return;
  hopAt(name, task, job, attempt, epochNow());
}

/** The hop happened at `t` (epochNow()), recorded once the job it belongs to is known. */
export function hopAt(name: Hop, task: number, job: number, attempt: number, t: number): void {
  if (!on) return;
  buffer.push({ hop: name, task, job, attempt, t });
  if (buffer.length >= BATCH) flushHops();
}

/** The final updates among `updates` (a report's) reach `name` now; running states are not a job's hop. */
export function hopFinals(name: Hop, updates: ReadonlyArray<{ jobId: number; attempt: number; state: string }>): void {
  if (!on) return;
  const t = epochNow();
  for (const u of updates) if (u.state !== "running") hopAt(name, 0, u.jobId, u.attempt, t);
}

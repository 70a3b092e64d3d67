// Run by bench/executor-startup.ts with `pando run`: a few no-op jobs in a row on one warm executor, each
// saying how much memory its executor holds, and the driver's time for each call (the first one runs the
// executor's and the server's job path cold).
import { work, workflow } from "pando";

/**
 * A no-op job that reports its executor's memory once it has run (process.memoryUsage(), bytes) and the CPU
 * time its executor has used since it started (ms, user and system).
 */
export const probe = work({ name: "probe" }, async () => {
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  return { executor: process.env.PANDO_EXECUTOR_ID ?? "", rss, heapTotal, heapUsed, external, arrayBuffers, cpuMs: (user + system) / 1000 };
});

export type ProbeResult = Awaited<ReturnType<typeof probe>>;

export interface ProbeCall extends ProbeResult {
  /** The driver's time for the call, from the work call to its result. */
  ms: number;
}

export const probeCalls = workflow({ name: "probeCalls" }, async (calls: number): Promise<ProbeCall[]> => {
  const out: ProbeCall[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const r = await probe();
    out.push({ ...r, ms: performance.now() - t0 });
  }
  return out;
});

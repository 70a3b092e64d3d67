// The Pando side of the benchmarks, run with `pando run` on the embedded default.
import { work, workflow } from "pando";
import { measureLatency } from "./stats.js";

export const noop = work({ name: "noop" }, async (i: number) => i);

/**
 * One task of n no-op jobs: from submission to every result in the driver's hands, after a warm-up task
 * (as the BullMQ side starts with its worker connected and ready).
 */
export const throughput = workflow({ name: "throughput" }, async (n: number) => {
  await noop.map(Array.from({ length: 500 }, (_, i) => [i] as [number]));
  const entries = Array.from({ length: n }, (_, i) => [i] as [number]);
  const t0 = performance.now();
  const values = await noop.map(entries);
  const ms = performance.now() - t0;
  if (values.length !== n) throw new Error(`expected ${n} results, got ${values.length}`);
  return { n, ms, jobsPerSecond: (n / ms) * 1000 };
});

/** n single-job calls one after the other (after 20 warm-up calls). */
export const latency = workflow({ name: "latency" }, async (n: number) => measureLatency(n, 20, async (i) => noop(i)));

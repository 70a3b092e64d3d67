// The load of the monitoring benchmark (bench/monitor.ts): one task of many quick jobs, one in a thousand failing.
import { work, workflow } from "pando";

export const score = work({ name: "bench.score", maxAttempts: 1 }, async (i: number) => {
  if (i % 1000 === 7) throw new Error(`point ${i % 3} diverged`);
  return { loss: 1 / (1 + i) };
});

export const fill = workflow({ name: "bench.fill" }, async (n: number) => {
  const results = await score.map(Array.from({ length: n }, (_, i) => [i] as [number]));
  return results.length;
});

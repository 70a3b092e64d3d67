import { work, workflow } from "pando";

export const noop = work({ name: "noop" }, async (i: number) => i);

export const throughput = workflow({ name: "throughput" }, async (n: number) => {
  const entries = Array.from({ length: n }, (_, i) => [i] as [number]);
  const t0 = performance.now();
  const values = await noop.map(entries);
  const ms = performance.now() - t0;
  if (values.length !== n) throw new Error(`expected ${n} results, got ${values.length}`);
  return { n, ms, jobsPerSecond: (n / ms) * 1000 };
});

export const latency = workflow({ name: "latency" }, async (n: number) => {
  for (let i = 0; i < 20; i++) await noop(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await noop(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { n, p50: q(0.5), p99: q(0.99), mean: samples.reduce((a, b) => a + b, 0) / n };
});

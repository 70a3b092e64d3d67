/** The p-quantile (0..1) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** A run of single calls one after the other: their number and their time in ms. */
export interface Latency {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Times n calls of `call` one after the other, after `warmUp` calls left out of the figures. */
export async function measureLatency(n: number, warmUp: number, call: (i: number) => PromiseLike<unknown>): Promise<Latency> {
  for (let i = 0; i < warmUp; i++) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call(i);
    samples.push(performance.now() - t0);
  }
  return { n, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), mean: samples.reduce((a, b) => a + b, 0) / n };
}

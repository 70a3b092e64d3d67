// The works the pattern examples share: small stand-ins for real steps of an analysis.
import { work } from "pando";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Produces `n` samples of a noisy signal (deterministic per seed). */
export const simulate = work({ name: "simulate" }, async (seed: number, n: number) => {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => Math.sin(next() * Math.PI) + 0.1 * (next() - 0.5));
});

/** Mean and spread of a sample. */
export const summarise = work({ name: "summarise" }, async (values: number[]) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { n: values.length, mean, sd };
});

/** A slower, more precise analysis, run only when a cheap one says it is worth it. */
export const refine = work({ name: "refine" }, async (values: number[], bins: number) => {
  await sleep(50);
  const histogram = new Array<number>(bins).fill(0);
  for (const v of values) histogram[Math.min(bins - 1, Math.max(0, Math.floor(((v + 0.2) / 1.4) * bins)))]!++;
  return histogram;
});

/** Combines summaries into one (the fan-in step). */
export const combine = work({ name: "combine" }, async (parts: Array<{ n: number; mean: number }>) => {
  const n = parts.reduce((s, p) => s + p.n, 0);
  return { n, mean: parts.reduce((s, p) => s + p.n * p.mean, 0) / n };
});

// An iterative loop: each iteration is one task, and the driver stops when the result converges.
//   pando run examples/patterns/loop.ts#loop 1e-3
// In iDDS this is a Loop workflow with a condition on the last iteration's output.
import { context, workflow } from "pando";
import { simulate, summarise } from "./steps.js";

// A fixed seed makes every run of the example draw the same samples, so it converges after the same
// iterations each time (4 at 1e-3); with a random seed some runs need far more, and the doubled samples
// outgrow the result limit long before 20 iterations.
export const loop = workflow({ name: "loop", seed: 1 }, async (tolerance: number, maxIterations = 10) => {
  const ctx = context();
  const means: number[] = [];
  let n = 250;
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    // Seeds from ctx.random() keep the driver deterministic: a re-run proposes the same samples.
    const seeds = Array.from({ length: 4 }, () => Math.floor(ctx.random() * 1e9));
    const samples = await simulate.map(seeds.map((s) => [s, n] as [number, number]));
    const summaries = await summarise.map(samples.map((s) => [s] as [number[]]));
    means.push(summaries.reduce((sum, s) => sum + s.mean, 0) / summaries.length);
    const last = means.length > 1 ? Math.abs(means.at(-1)! - means.at(-2)!) : Infinity;
    if (last < tolerance) return { converged: true, iterations: means.length, mean: means.at(-1), means };
    n *= 2;
  }
  return { converged: false, iterations: means.length, mean: means.at(-1), means };
});

// A task that waits on several earlier tasks that ran concurrently, and a join that starts each follow-up
// as soon as its own input is ready (asCompleted) instead of waiting for the slowest.
//   pando run examples/patterns/join.ts#join
import { workflow } from "pando";
import { combine, refine, simulate, summarise } from "./steps.js";

export const join = workflow({ name: "join" }, async () => {
  // Two independent tasks, started together (a work call starts when it is made, not when awaited).
  const signal = simulate.map([[11, 1500], [12, 1500]]);
  const background = simulate(13, 3000);
  // Follow-ups of the signal samples start one by one as each sample arrives.
  const histograms: number[][] = [];
  for await (const sample of signal.asCompleted()) {
    if (sample.ok) histograms.push(await refine(sample.value!, 8));
  }
  // This task waits on both earlier tasks.
  const [signalSamples, backgroundSample] = await Promise.all([signal, background]);
  const summaries = await summarise.map([...signalSamples.map((s) => [s] as [number[]]), [backgroundSample]]);
  return { histograms: histograms.length, combined: await combine(summaries) };
});

// A DAG: fan-out to independent branches that run at the same time, then fan-in to one step.
//   pando run examples/patterns/dag.ts#dag 6
// In iDDS this is a DAG of Works with dependencies; here the edges are the awaits.
import { workflow } from "pando";
import { combine, simulate, summarise } from "./steps.js";

export const dag = workflow({ name: "dag" }, async (branches: number) => {
  // Fan-out: one task of `branches` jobs.
  const samples = await simulate.map(Array.from({ length: branches }, (_, i) => [i + 1, 1000] as [number, number]));
  // Each branch goes on by itself: a task per branch, all submitted at once, running side by side.
  const summaries = await Promise.all(samples.map((s) => summarise(s)));
  // Fan-in: one task that needs all of them.
  return combine(summaries);
});

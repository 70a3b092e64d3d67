// Conditional branching: the driver looks at one task's result and decides which task comes next.
//   pando run examples/patterns/branching.ts#branching 0.6
// In iDDS this is a Condition between two Works; here it is an `if`.
import { workflow } from "pando";
import { refine, simulate, summarise } from "./steps.js";

export const branching = workflow({ name: "branching" }, async (threshold: number) => {
  const sample = await simulate(1, 2000);
  const summary = await summarise(sample);
  // Only a sample whose mean passes the threshold is worth the expensive step.
  if (summary.mean > threshold) {
    return { branch: "refined", summary, histogram: await refine(sample, 10) };
  }
  return { branch: "skipped", summary };
});

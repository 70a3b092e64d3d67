// Random search: every point drawn uniformly (log-uniformly on log parameters), the baseline the guided
// samplers must beat on the same budget.
import type { Sampler } from "./sampler.js";

export function randomSampler(): Sampler {
  return {
    description: { kind: "random" },
    propose: ({ space, count, random }) => Array.from({ length: count }, () => space.sample(random)),
  };
}

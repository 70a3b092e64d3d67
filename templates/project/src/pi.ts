// A first Pando program: π from random points, the points thrown by jobs that run side by side on pilots.
//   npx pando run src/pi.ts#estimatePi 8 1000000      (8 jobs of a million points each)
import { work, workflow } from "pando";

/** A small seeded generator (mulberry32): a job's points depend on its seed only, wherever and however often it runs. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A work: an ordinary async function. Called inside a running workflow, each call is a task of jobs.
// This one throws `points` points into the unit square and counts those inside the quarter circle.
export const countInside = work({ name: "pi.countInside" }, async (seed: number, points: number) => {
  if (!Number.isSafeInteger(points) || points < 1) throw new RangeError(`points must be a positive integer, not ${points}`);
  const random = generator(seed);
  let inside = 0;
  for (let i = 0; i < points; i++) {
    const x = random();
    const y = random();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
});

// A workflow: the driver, plain TypeScript. `countInside.map` is ONE task of `jobs` jobs, one per seed.
export const estimatePi = workflow({ name: "pi.estimate" }, async (jobs = 8, points = 1_000_000) => {
  const seeds = Array.from({ length: jobs }, (_, seed) => [seed, points] as [number, number]);
  const counts = await countInside.map(seeds);
  const inside = counts.reduce((sum, n) => sum + n, 0);
  return { pi: (4 * inside) / (counts.length * points), points: counts.length * points };
});

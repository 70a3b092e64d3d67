// The shape of the paper's use case, hyperparameter optimisation: iterations of one task each, every task
// 20 evaluations of 1 s, each iteration waiting for the previous one (as a Bayesian optimiser does). Run
// by bench/hpo-shape.ts with `pando run` on the embedded default.
import { work, workflow } from "pando";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One evaluation (a point of an iteration): sleeps ms and says where and when it ran (its executor, its clock). */
export const evaluate = work({ name: "evaluate" }, async (ms: number, _iteration: number, _point: number) => {
  const startedAt = Date.now();
  await sleep(ms);
  return { pid: process.pid, startedAt, endedAt: Date.now() };
});

export interface Shape {
  iterations: number;
  points: number;
  /** Duration of one evaluation. */
  ms: number;
  /** Jobs of 1 ms of the same work in one task before the measured iterations (0: none). */
  fastJobs: number;
}

export interface Iteration {
  ms: number;
  /** Distinct executor processes that ran the iteration's jobs. */
  executors: number;
  /** Most of the iteration's jobs running at the same moment. */
  atOnce: number;
}

export interface Measured {
  makespanMs: number;
  iterations: Iteration[];
}

function mostAtOnce(spans: ReadonlyArray<{ startedAt: number; endedAt: number }>): number {
  const edges = spans.flatMap((s) => [[s.startedAt, 1] as const, [s.endedAt, -1] as const]);
  // Ends before starts at the same millisecond: a job that ends as the next starts does not overlap it.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

export const hpo = workflow({ name: "hpo" }, async (shape: Shape): Promise<Measured> => {
  if (shape.fastJobs > 0) await evaluate.map(Array.from({ length: shape.fastJobs }, (_, p) => [1, -1, p] as [number, number, number]));
  const started = performance.now();
  const iterations: Iteration[] = [];
  for (let i = 0; i < shape.iterations; i++) {
    const t0 = performance.now();
    const runs = await evaluate.map(Array.from({ length: shape.points }, (_, p) => [shape.ms, i, p] as [number, number, number]));
    iterations.push({ ms: performance.now() - t0, executors: new Set(runs.map((r) => r.pid)).size, atOnce: mostAtOnce(runs) });
  }
  return { makespanMs: performance.now() - started, iterations };
});

// Random search, the baseline Bayesian optimisation has to beat, behind the same suggest/register/best interface
// so that one workflow runs either strategy on the same budget.

import { randomSearch, validateSpace, type Dimension, type Point } from "./bayesopt.js";
import { mixSeed, mulberry32 } from "./random.js";

// Redraws allowed for one point before a repeat is accepted: only a tiny discrete space runs out of new points.
const MAX_REDRAWS = 200;

export class RandomSearch {
  private readonly space: Dimension[];
  private readonly rand: () => number;
  private readonly proposed = new Set<string>();
  private readonly registered: { point: Point; value: number }[] = [];

  constructor(space: Dimension[], options: { seed?: number } = {}) {
    validateSpace(space);
    this.space = space.map((d) => ({ ...d }));
    this.rand = mulberry32(mixSeed(options.seed ?? 0, 0x7a5d));
  }

  get observations(): ReadonlyArray<{ point: Point; value: number }> {
    return this.registered;
  }

  /**
   * n points drawn uniformly (log-uniformly on log dimensions), each different from every point proposed before:
   * a task's entries must be distinct. The same seed and the same sequence of calls give the same points.
   */
  suggest(n: number): Point[] {
    if (!Number.isInteger(n) || n < 0) throw new Error(`RandomSearch.suggest: n must be a non-negative integer, got ${n}`);
    const out: Point[] = [];
    for (let i = 0; i < n; i++) {
      let point = randomSearch(this.space, 1, this.rand)[0]!;
      for (let redraws = 0; this.proposed.has(this.keyOf(point)) && redraws < MAX_REDRAWS; redraws++) {
        point = randomSearch(this.space, 1, this.rand)[0]!;
      }
      this.proposed.add(this.keyOf(point));
      out.push(point);
    }
    return out;
  }

  /** Records an evaluation; non-finite values (failed evaluations) are not recorded. */
  register(point: Point, value: number): void {
    if (Number.isFinite(value)) this.registered.push({ point: { ...point }, value });
  }

  best(): { point: Point; value: number } | undefined {
    let best: { point: Point; value: number } | undefined;
    for (const o of this.registered) if (best === undefined || o.value > best.value) best = o;
    return best === undefined ? undefined : { point: { ...best.point }, value: best.value };
  }

  private keyOf(point: Point): string {
    return JSON.stringify(this.space.map((d) => point[d.name]));
  }
}

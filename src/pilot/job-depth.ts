/**
 * How many jobs a pilot keeps per executor slot: enough to cover `windowMs` of work at the jobs' recent
 * average duration, so fast jobs travel in large batches and slow ones one at a time (so that another
 * pilot can take them). Starts at one job until the first durations are known.
 */
export class JobDepth {
  private averageMs: number | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  observe(durationMs: number): void {
    const d = Math.max(0, durationMs);
    this.averageMs = this.averageMs === undefined ? d : 0.8 * this.averageMs + 0.2 * d;
  }

  value(): number {
    if (this.averageMs === undefined) return 1;
    const n = Math.ceil(this.windowMs / Math.max(this.averageMs, 0.01));
    return Math.min(this.max, Math.max(1, n));
  }
}

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

/**
 * Job depths per task. A task is one call of a work with one kind of arguments, so its jobs take about as
 * long as each other; a work's durations depend on its arguments (the same objective runs for 1 ms on a
 * trivial point and for minutes on a real one), and one average over everything a pilot ran would send the
 * slow jobs of a new task in batches learnt on fast ones, one after the other on one executor while other
 * slots sit idle. A task not seen yet has depth one: nothing is held beyond the free slots until its first
 * jobs have shown that they are fast.
 */
export class TaskDepths {
  /** By task id, least recently observed first. */
  private readonly byTask = new Map<number, JobDepth>();
  /** The last answer of prefetch(), until the next observation. */
  private cached: { limit: number; answer: { tasks: number[]; depth: number } } | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    /** Tasks remembered; the least recently observed are forgotten first. */
    private readonly keep = 256,
  ) {}

  observe(taskId: number, durationMs: number): void {
    this.cached = undefined;
    const depth = this.byTask.get(taskId) ?? new JobDepth(this.windowMs, this.max);
    this.byTask.delete(taskId);
    this.byTask.set(taskId, depth);
    depth.observe(durationMs);
    if (this.byTask.size > this.keep) this.byTask.delete(this.byTask.keys().next().value!);
  }

  /** Jobs of the task an executor may hold, the running one included. */
  depth(taskId: number): number {
    return this.byTask.get(taskId)?.value() ?? 1;
  }

  /**
   * The tasks whose jobs are fast enough to hold more of them than there are free slots (most recently
   * observed first, at most `limit`), and the deepest of their depths.
   */
  prefetch(limit: number): { tasks: number[]; depth: number } {
    if (this.cached?.limit === limit) return this.cached.answer;
    // The map is least recently observed first: the last `limit` fast tasks seen in order are the most
    // recent, kept in a ring. Asked at every job's end, this allocates nothing per task remembered.
    const ids = new Array<number>(limit);
    const values = new Array<number>(limit);
    let seen = 0;
    this.byTask.forEach((d, taskId) => {
      const value = d.value();
      if (value <= 1 || limit === 0) return;
      ids[seen % limit] = taskId;
      values[seen % limit] = value;
      seen++;
    });
    const tasks: number[] = [];
    let depth = 1;
    for (let i = seen - 1; i >= Math.max(0, seen - limit); i--) {
      tasks.push(ids[i % limit]!);
      depth = Math.max(depth, values[i % limit]!);
    }
    this.cached = { limit, answer: { tasks, depth } };
    return this.cached.answer;
  }
}

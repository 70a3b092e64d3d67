/**
 * Lets at most `limit` batches run at once; items that arrive meanwhile wait, and the next free turn takes
 * the waiting ones together, in arrival order (those of one key, up to `maxWeight` in all: a single item
 * heavier than that still goes alone). The server records pilots' reports through one: reports of many
 * pilots about one task all update that task's row and wait on its lock, so recording those that waited in
 * one transaction commits once for all of them, and no waiting report holds a database connection that
 * heartbeats, acquires and registrations need.
 */
export class BatchingGate<T, R> {
  private running = 0;
  private readonly waiting: Array<{ item: T; resolve: (r: R) => void; reject: (err: unknown) => void }> = [];
  private gathering = false;

  constructor(
    private readonly limit: number,
    private readonly maxWeight: number,
    private readonly keyOf: (item: T) => string,
    private readonly weightOf: (item: T) => number,
    /** Runs a batch; answers one result per item, in its order. */
    private readonly runBatch: (items: readonly T[]) => Promise<R[]>,
    /**
     * Given, a free turn starts only when `gather` calls back, so that the items that arrive until then (the
     * server passes setImmediate: those of the same turn of its event loop) go in one batch. Without it, an
     * item that finds a free turn runs at once.
     */
    private readonly gather?: (then: () => void) => void,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a concurrency limit must be a whole number ≥ 1, not ${limit}`);
  }

  /** Batches running now, and items waiting for a turn. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  run(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.gather) return this.next();
      if (this.gathering) return;
      this.gathering = true;
      this.gather(() => {
        this.gathering = false;
        this.next();
      });
    });
  }

  private next(): void {
    while (this.running < this.limit && this.waiting.length > 0) {
      const batch = this.take();
      this.running++;
      this.runBatch(batch.map((w) => w.item))
        .then(
          (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.next();
        });
    }
  }

  /** The first waiting item and those after it of its key, while they fit the weight. */
  private take(): typeof this.waiting {
    const first = this.waiting.shift()!;
    const key = this.keyOf(first.item);
    const batch = [first];
    let weight = this.weightOf(first.item);
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      const more = this.weightOf(w.item);
      if (this.keyOf(w.item) !== key || weight + more > this.maxWeight) {
        i++;
        continue;
      }
      batch.push(w);
      weight += more;
      this.waiting.splice(i, 1);
    }
    return batch;
  }
}

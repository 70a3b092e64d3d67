/**
 * Lets at most `limit` calls run at once; the others wait their turn in arrival order. The server records
 * pilots' reports through one: reports of many pilots about one task all update that task's row and wait on
 * its lock, and each waiting one would hold a database connection that heartbeats, acquires and
 * registrations then cannot get.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`a concurrency limit must be a whole number ≥ 1, not ${limit}`);
  }

  /** Calls running now, and calls waiting for a turn. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((turn) => this.queue.push(turn));
    else this.running++;
    try {
      return await call();
    } finally {
      // The turn passes straight to the next waiter, so a newcomer cannot slip in between.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}

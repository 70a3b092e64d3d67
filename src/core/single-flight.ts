/**
 * Loads by key, one load at a time per key: callers that ask while a load of the same key is in flight share
 * it. A cache that expires under load is otherwise read again by every request that arrives before the first
 * read returns — hundreds at once on a busy server — and each read waits for a database connection, which
 * makes the reads slower still.
 */
export class SingleFlight<K> {
  private readonly inFlight = new Map<K, Promise<unknown>>();

  run<V>(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.inFlight.get(key) as Promise<V> | undefined;
    if (running) return running;
    const started = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }
}

/**
 * Counters of the server since it started, served as JSON by the metrics endpoint. Names follow the
 * Prometheus style; a label goes into the name (results_via_broker).
 */
export class Metrics {
  private readonly counters = new Map<string, number>();

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  snapshot(gauges: Record<string, number>): Record<string, number> {
    return { ...Object.fromEntries([...this.counters].sort()), ...gauges };
  }
}

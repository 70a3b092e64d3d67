import type { Metric, Registry } from "prom-client";

/** One label set's observations: what the request path adds to. */
export interface HistogramCell {
  observe(seconds: number): void;
}

class Cell implements HistogramCell {
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulated (the last one: above every bound); cumulated when exported. */
  readonly buckets: number[];

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.buckets[i]!++;
  }
}

/**
 * A Prometheus histogram exported through prom-client's registry, whose observations cost a few additions:
 * prom-client's own validates and hashes the labels of every observation (microseconds on a busy machine),
 * which the request path of the server cannot afford. Callers keep the cell of each label set they use.
 */
export class LeanHistogram {
  readonly type = "histogram";
  private readonly cells = new Map<string, Cell>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The cell of one label set (the same for the same labels): ask once per label set, and keep it. */
  cell(labels: Readonly<Record<string, string>>): HistogramCell {
    const key = JSON.stringify(Object.entries(labels).sort());
    let cell = this.cells.get(key);
    if (!cell) {
      cell = new Cell(labels, this.bounds);
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** What the registry writes: each cell's cumulative buckets, sum and count, as prom-client's histograms do. */
  async get(): Promise<object> {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const c of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += c.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...c.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", ...c.labels }, value: c.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...c.labels }, value: c.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...c.labels }, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }
}

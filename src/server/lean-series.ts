// The server's Prometheus series, kept without prom-client: observing costs a few additions, and prom-client
// (whose import is a noticeable part of a server's start) is loaded only when someone scrapes. Each series
// answers `get()` as prom-client's own metrics do, so that its registry writes them out with the rest.

type Labels = Readonly<Record<string, string>>;

/** What a registry reads of a series: prom-client's metric object. */
export interface SeriesValues {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
  aggregator: "sum";
}

/** A series prom-client's registry can write: its name, and its values when asked. */
export interface Series {
  readonly name: string;
  get(): Promise<SeriesValues>;
}

/** The cells of one series, one per label set (the same cell for the same labels, whatever their order). */
class Cells<C> {
  private readonly byKey = new Map<string, C>();

  constructor(private readonly make: (labels: Labels) => C) {}

  of(labels: Labels): C {
    const key = JSON.stringify(Object.entries(labels).sort());
    let cell = this.byKey.get(key);
    if (!cell) {
      cell = this.make(labels);
      this.byKey.set(key, cell);
    }
    return cell;
  }

  values(): IterableIterator<C> {
    return this.byKey.values();
  }
}

/** One label set's observations. */
export interface HistogramCell {
  observe(value: number): void;
}

class BucketCell implements HistogramCell {
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulated (the last one: above every bound); cumulated when written. */
  readonly buckets: number[];

  constructor(
    readonly labels: Labels,
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

/** A histogram: callers keep the cell of each label set they observe. */
export class LeanHistogram implements Series {
  private readonly cells: Cells<BucketCell>;

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.cells = new Cells((labels) => new BucketCell(labels, bounds));
  }

  cell(labels: Labels): HistogramCell {
    return this.cells.of(labels);
  }

  /** Each cell's cumulative buckets, sum and count, as prom-client writes its histograms. */
  async get(): Promise<SeriesValues> {
    const values: SeriesValues["values"] = [];
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
    return { name: this.name, help: this.help, type: "histogram", values, aggregator: "sum" };
  }
}

/** One label set's value. */
export interface ValueCell {
  add(by: number): void;
}

class NumberCell implements ValueCell {
  value = 0;

  constructor(readonly labels: Labels) {}

  add(by: number): void {
    this.value += by;
  }
}

/** A counter (it only goes up) or a gauge moved as things happen (long-polls held). */
export class LeanValue implements Series {
  private readonly cells = new Cells((labels) => new NumberCell(labels));

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: "counter" | "gauge",
  ) {}

  cell(labels: Labels = {}): ValueCell {
    return this.cells.of(labels);
  }

  async get(): Promise<SeriesValues> {
    const values = [...this.cells.values()].map((c) => ({ labels: { ...c.labels }, value: c.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" };
  }
}

/** A gauge read when scraped (from the database, or the broker link's state). */
export class ScrapedGauge implements Series {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly read: () => Promise<ReadonlyArray<{ labels: Labels; value: number }>>,
  ) {}

  async get(): Promise<SeriesValues> {
    const rows = await this.read();
    return { name: this.name, help: this.help, type: "gauge", values: rows.map((r) => ({ labels: { ...r.labels }, value: r.value })), aggregator: "sum" };
  }
}

import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { methodLabel, routeLabel, statusLabel } from "../core/metric-labels.js";
import type { ResultVia } from "../core/states.js";
import { LeanHistogram } from "./lean-histogram.js";

/** What a scrape reads at its own time, rather than counting as things happen. */
export interface ScrapeSources {
  /** Jobs not ended, by queue and state (one grouped query). */
  openJobs(): Promise<ReadonlyArray<{ queue: string; state: string; count: number }>>;
  /** Live pilots, by queue and state (one grouped query). */
  livePilots(): Promise<ReadonlyArray<{ queue: string; state: string; count: number }>>;
  brokerConnected(): boolean;
}

/** Why a message of the reports queue was dropped unread. */
export type DroppedMessage = "oversized" | "malformed" | "forged";

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Observer {
  observe(value: number): void;
}
interface Incrementer {
  inc(by?: number): void;
}

/**
 * The server's Prometheus series, on a registry of its own (several servers may share a process): request
 * latency by route, dispatch and result rates, long-polls and streams held, store round trips, and Node's
 * process figures; jobs and pilots are counted when scraped. docs/deployment.md lists them. The calls on
 * the request path reuse one child per label set, so that counting costs a map lookup and an addition.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: LeanHistogram;
  private readonly storeDuration: LeanHistogram;
  private readonly dispatchedJobs: Counter<"queue">;
  private readonly results: Counter<"outcome" | "via">;
  private readonly held: { long_polls: Gauge<"kind">; streams: Gauge<"kind"> };
  private readonly refusedUpdates: Counter<"via" | "reason">;
  private readonly droppedMessages: Counter<"reason">;
  private readonly relayedMessages: Counter;
  private readonly codeCacheReads: Counter;
  private readonly children = new Map<string, Observer | Incrementer>();
  private sources: ScrapeSources | undefined;

  /** `routes`: the route templates the server serves; a request to anything else counts as unmatched. */
  constructor(private readonly routes: ReadonlySet<string>) {
    const registers = [this.registry];
    this.requestDuration = new LeanHistogram(
      "pando_http_request_duration_seconds",
      "HTTP requests by route template, method and status: time from arrival to the end of the answer (long-polls included)",
      REQUEST_BUCKETS,
      this.registry,
    );
    this.storeDuration = new LeanHistogram(
      "pando_store_operation_duration_seconds",
      "Store operations (each of its transactions or queries), by operation: the round trip to the database",
      STORE_BUCKETS,
      this.registry,
    );
    this.dispatchedJobs = new Counter({ name: "pando_jobs_dispatched_total", help: "Jobs handed to pilots, by queue", labelNames: ["queue"], registers });
    this.results = new Counter({
      name: "pando_results_total",
      help: "Jobs that reached a final state, by outcome (finished, failed, cancelled, closed) and the path of the report that ended them (broker, rest, or server: a lost pilot)",
      labelNames: ["outcome", "via"],
      registers,
    });
    this.held = {
      long_polls: new Gauge({ name: "pando_long_polls", help: "Long-polls held open now, by kind", labelNames: ["kind"], registers }),
      streams: new Gauge({ name: "pando_streams", help: "Streams held open now (server-sent events, archives), by kind", labelNames: ["kind"], registers }),
    };
    this.refusedUpdates = new Counter({
      name: "pando_updates_refused_total",
      help: "Pilots' updates of attempts they do not hold, dropped, by path and reason",
      labelNames: ["via", "reason"],
      registers,
    });
    this.droppedMessages = new Counter({
      name: "pando_broker_messages_dropped_total",
      help: "Messages of the reports queue dropped unread, by reason (oversized, malformed, forged)",
      labelNames: ["reason"],
      registers,
    });
    this.relayedMessages = new Counter({ name: "pando_results_relayed_messages_total", help: "Messages of final states the server relayed to the broker", registers });
    this.codeCacheReads = new Counter({ name: "pando_code_cache_pilot_reads_total", help: "Bundles and project archives fetched by pilots", registers });
    const sources = () => this.sources;
    type Rows = ReadonlyArray<{ queue: string; state: string; count: number }>;
    const scraped = (name: string, help: string, read: (s: ScrapeSources) => Promise<Rows>) =>
      new Gauge({
        name,
        help,
        labelNames: ["queue", "state"],
        registers,
        collect: async function (this: Gauge<"queue" | "state">) {
          const from = sources();
          const rows = from ? await read(from) : [];
          this.reset();
          for (const r of rows) this.set({ queue: r.queue, state: r.state }, r.count);
        },
      });
    scraped("pando_jobs", 'Jobs not ended, by state and queue (defined jobs wait for a queue: queue="")', (s) => s.openJobs());
    scraped("pando_pilots", "Live pilots by queue and state (submitted: started on a backend, not registered yet)", (s) => s.livePilots());
    new Gauge({
      name: "pando_broker_connected",
      help: "1 when the server is connected to its broker, else 0",
      registers,
      collect: function (this: Gauge) {
        this.set(sources()?.brokerConnected() ? 1 : 0);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the scrape-time series are read from, once the services exist. */
  readFrom(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /** One HTTP request answered: `route` is the template it matched (undefined when none did). */
  request(route: string | undefined, method: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.children.get(key) as Observer | undefined;
    if (!child) {
      child = this.requestDuration.cell({ route: routeLabel(route, this.routes), method: methodLabel(method), status: statusLabel(status) });
      this.children.set(key, child);
    }
    child.observe(seconds);
  }

  /** The observer of one store operation's durations (seconds). */
  storeOperation(operation: string): Observer {
    return this.storeDuration.cell({ operation });
  }

  dispatched(queue: string, jobs: number): void {
    this.counter(`d ${queue}`, () => this.dispatchedJobs.labels(queue)).inc(jobs);
  }

  result(outcome: string, via: ResultVia, count: number): void {
    this.counter(`r ${outcome} ${via}`, () => this.results.labels(outcome, via)).inc(count);
  }

  /** A request held open from now until the returned function is called. */
  holding(series: "long_polls" | "streams", kind: string): () => void {
    const gauge = this.held[series].labels(kind);
    gauge.inc();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      gauge.dec();
    };
  }

  updatesRefused(via: ResultVia, reason: string): void {
    this.refusedUpdates.labels(via, reason).inc();
  }

  brokerMessageDropped(reason: DroppedMessage): void {
    this.droppedMessages.labels(reason).inc();
  }

  resultsRelayed(): void {
    this.relayedMessages.inc();
  }

  codeCacheReadByPilot(): void {
    this.codeCacheReads.inc();
  }

  /** Every series in the Prometheus text format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  private counter(key: string, make: () => Incrementer): Incrementer {
    let child = this.children.get(key) as Incrementer | undefined;
    if (!child) {
      child = make();
      this.children.set(key, child);
    }
    return child;
  }
}

import type { Counter, Metric, Registry } from "prom-client";
import { methodLabel, routeLabel, statusLabel } from "../core/metric-labels.js";
import type { ResultVia } from "../core/states.js";
import { LeanHistogram, LeanValue, ScrapedGauge, type HistogramCell, type Series, type ValueCell } from "./lean-series.js";

/** What a scrape reads at its own time, rather than counting as things happen. */
export interface ScrapeSources {
  /** Jobs not ended, by queue and state (one grouped query). */
  openJobs(): Promise<ReadonlyArray<{ queue: string; state: string; count: number }>>;
  /** Live pilots, by queue and state (one grouped query). */
  livePilots(): Promise<ReadonlyArray<{ queue: string; state: string; count: number }>>;
  brokerConnected(): boolean;
}

/** How a request reached the server: over HTTP, or as a call of the embedded server's own driver. */
export type RequestTransport = "http" | "in_process";

/** How a pilot's end became known: it said so, its batch job ended under it, or it sent no heartbeat in time. */
export type PilotEnd = "exited" | "gone" | "lost";

/** Why a message of the reports queue was dropped unread. */
export type DroppedMessage = "oversized" | "malformed" | "forged";

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const byQueueAndState = (rows: ReadonlyArray<{ queue: string; state: string; count: number }>) =>
  rows.map((r) => ({ labels: { queue: r.queue, state: r.state }, value: r.count }));

/**
 * The server's Prometheus series (docs/deployment.md lists them): request latency by route, dispatch and
 * result rates, long-polls and streams held, store round trips; jobs and pilots are read when scraped. They
 * are kept by lean-series.ts, a map lookup and an addition per event on the request path; prom-client is
 * loaded at the first scrape, with a registry of this server's own (several servers may share a process)
 * that also carries Node's process figures.
 */
export class ServerMetrics {
  private readonly requestDuration = new LeanHistogram(
    "pando_http_request_duration_seconds",
    "Requests by route template, method, status and transport (http, or in_process for an embedded server's own driver): time from arrival to the end of the answer (long-polls included)",
    REQUEST_BUCKETS,
  );
  private readonly storeDuration = new LeanHistogram(
    "pando_store_operation_duration_seconds",
    "Store operations (each of its transactions or queries), by operation: the round trip to the database",
    STORE_BUCKETS,
  );
  private readonly dispatchedJobs = new LeanValue("pando_jobs_dispatched_total", "Jobs handed to pilots, by queue", "counter");
  private readonly results = new LeanValue(
    "pando_results_total",
    "Jobs that reached a final state, by outcome (finished, failed, cancelled, closed) and the path of the report that ended them (broker, rest, or server: a lost pilot)",
    "counter",
  );
  private readonly held = {
    long_polls: new LeanValue("pando_long_polls", "Long-polls held open now, by kind", "gauge"),
    streams: new LeanValue("pando_streams", "Streams held open now (server-sent events, archives), by kind", "gauge"),
  };
  private readonly refusedUpdates = new LeanValue("pando_updates_refused_total", "Pilots' updates of attempts they do not hold, dropped, by path and reason", "counter");
  private readonly droppedMessages = new LeanValue(
    "pando_broker_messages_dropped_total",
    "Messages of the reports queue dropped unread, by reason (oversized, malformed, forged)",
    "counter",
  );
  private readonly relayedMessages = new LeanValue("pando_results_relayed_messages_total", "Messages of final states the server relayed to the broker", "counter");
  private readonly codeCacheReads = new LeanValue("pando_code_cache_pilot_reads_total", "Bundles and project archives fetched by pilots", "counter");
  private readonly endedPilots = new LeanValue(
    "pando_pilots_ended_total",
    "Pilots ended, by how: exited (the pilot said so), gone (its batch job ended under it), lost (no heartbeat within its timeout)",
    "counter",
  );
  private readonly requestCells = new Map<string, HistogramCell>();
  private readonly valueCells = new Map<string, ValueCell>();
  private sources: ScrapeSources | undefined;
  private registry: Promise<Registry> | undefined;

  /** `routes`: the route templates the server serves; a request to anything else counts as unmatched. */
  constructor(private readonly routes: ReadonlySet<string>) {}

  /** Where the scrape-time series are read from, once the services exist. */
  readFrom(sources: ScrapeSources): void {
    this.sources = sources;
  }

  /**
   * One request answered: `route` is the template it matched (undefined when none did); `transport` is
   * "in_process" for the calls of an embedded server's own driver, which never cross HTTP.
   */
  request(route: string | undefined, method: string, status: number, seconds: number, transport: RequestTransport = "http"): void {
    const key = `${transport} ${method} ${status} ${route}`;
    let cell = this.requestCells.get(key);
    if (!cell) {
      cell = this.requestDuration.cell({ route: routeLabel(route, this.routes), method: methodLabel(method), status: statusLabel(status), transport });
      this.requestCells.set(key, cell);
    }
    cell.observe(seconds);
  }

  /** The cell of one store operation's durations (seconds). */
  storeOperation(operation: string): HistogramCell {
    return this.storeDuration.cell({ operation });
  }

  dispatched(queue: string, jobs: number): void {
    this.value(`d ${queue}`, this.dispatchedJobs, { queue }).add(jobs);
  }

  result(outcome: string, via: ResultVia, count: number): void {
    this.value(`r ${outcome} ${via}`, this.results, { outcome, via }).add(count);
  }

  /** A request held open from now until the returned function is called. */
  holding(series: "long_polls" | "streams", kind: string): () => void {
    const cell = this.value(`${series} ${kind}`, this.held[series], { kind });
    cell.add(1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      cell.add(-1);
    };
  }

  updatesRefused(via: ResultVia, reason: string): void {
    this.refusedUpdates.cell({ via, reason }).add(1);
  }

  brokerMessageDropped(reason: DroppedMessage): void {
    this.droppedMessages.cell({ reason }).add(1);
  }

  resultsRelayed(): void {
    this.relayedMessages.cell().add(1);
  }

  codeCacheReadByPilot(): void {
    this.codeCacheReads.cell().add(1);
  }

  pilotsEnded(how: PilotEnd, count: number): void {
    this.value(`e ${how}`, this.endedPilots, { how }).add(count);
  }

  /** Every series in the Prometheus text format. */
  async exposition(): Promise<string> {
    this.registry ??= this.makeRegistry();
    return (await this.registry).metrics();
  }

  private async makeRegistry(): Promise<Registry> {
    const { Registry, collectDefaultMetrics } = await import("prom-client");
    const registry = new Registry();
    const sources = () => this.sources;
    const series: Series[] = [
      this.requestDuration,
      this.storeDuration,
      new ScrapedGauge("pando_jobs", 'Jobs not ended, by state and queue (defined jobs wait for a queue: queue="")', async () =>
        byQueueAndState((await sources()?.openJobs()) ?? []),
      ),
      this.dispatchedJobs,
      this.results,
      new ScrapedGauge("pando_pilots", "Live pilots by queue and state (submitted: started on a backend, not registered yet)", async () =>
        byQueueAndState((await sources()?.livePilots()) ?? []),
      ),
      this.endedPilots,
      this.held.long_polls,
      this.held.streams,
      this.refusedUpdates,
      this.droppedMessages,
      this.relayedMessages,
      this.codeCacheReads,
      new ScrapedGauge("pando_broker_connected", "1 when the server is connected to its broker, else 0", async () => [
        { labels: {}, value: sources()?.brokerConnected() ? 1 : 0 },
      ]),
    ];
    for (const s of series) registry.registerMetric(s as unknown as Metric);
    // prom-client counts CPU from its registration, here at the first scrape: what the process used before
    // is added once, so that the counters count from the process's start as Prometheus expects.
    const before = process.cpuUsage();
    collectDefaultMetrics({ register: registry });
    const add = (name: string, micros: number) => (registry.getSingleMetric(name) as Counter | undefined)?.inc(micros / 1e6);
    add("process_cpu_user_seconds_total", before.user);
    add("process_cpu_system_seconds_total", before.system);
    add("process_cpu_seconds_total", before.user + before.system);
    return registry;
  }

  private value(key: string, series: LeanValue, labels: Record<string, string>): ValueCell {
    let cell = this.valueCells.get(key);
    if (!cell) {
      cell = series.cell(labels);
      this.valueCells.set(key, cell);
    }
    return cell;
  }
}

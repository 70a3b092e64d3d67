// The server's own figures for the scale benchmark, read from its `GET /metrics` (Prometheus text format) with a
// user token, as an operator's scraper reads them: memory, CPU time, long-polls held, jobs handed out and
// queued, the event loop's lag, answers that were not served (5xx), and the requests and store operations
// answered by kind.
import { pathOf, ROUTES } from "../../src/api/routes.js";

export interface ServerScrape {
  /** When the scrape was answered (performance.now()). */
  at: number;
  rssBytes: number;
  cpuSeconds: number;
  /** Long-polls held open now, by kind (e.g. acquire). */
  longPolls: Record<string, number>;
  /** Jobs handed to pilots so far. */
  dispatched: number;
  /** Jobs waiting for a pilot now: queued on a queue (activated) or in a task not handed out yet (defined). */
  queued: number;
  /** The event loop's lag since the previous scrape (prom-client starts it afresh at each): p99 and the largest, seconds. */
  eventLoopLagP99S: number;
  eventLoopLagMaxS: number;
  /** Requests answered with a 5xx status so far, by status. */
  failedRequests: Record<string, number>;
  /** Requests answered so far, by method and route template ("POST …/pilots/:id/report"). */
  requests: Record<string, number>;
  /** Store operations so far, by name (`dispatch.claim`): how many, and their seconds in all. */
  storeOperations: Record<string, { count: number; seconds: number }>;
}

const METRICS = pathOf(ROUTES.metrics);
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

const SCRAPE_TRIES = 5;
const SCRAPE_RETRY_MS = 500;

/**
 * Scrapes the server, asking again a few times when the scrape cannot connect (a server at its connection
 * limit closes a new connection at once); the last failure is thrown with its cause.
 */
export async function scrapeServer(url: string, token: string): Promise<ServerScrape> {
  for (let tried = 1; ; tried++) {
    try {
      return await scrapeOnce(url, token);
    } catch (err) {
      if (tried >= SCRAPE_TRIES) {
        const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
        throw new Error(`scraping the metrics of ${url} failed ${tried} times: ${err instanceof Error ? err.message : String(err)}${cause}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, SCRAPE_RETRY_MS));
    }
  }
}

async function scrapeOnce(url: string, token: string): Promise<ServerScrape> {
  const res = await fetch(`${url}${METRICS}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`the metrics of ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const text = await res.text();
  const at = performance.now();
  const scrape: ServerScrape = { at, rssBytes: 0, cpuSeconds: 0, longPolls: {}, dispatched: 0, queued: 0, eventLoopLagP99S: 0, eventLoopLagMaxS: 0, failedRequests: {}, requests: {}, storeOperations: {} };
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(LABEL)].map((l) => [l[1]!, l[2]!]));
    const value = Number(m[3]);
    switch (m[1]) {
      case "process_resident_memory_bytes":
        scrape.rssBytes = value;
        break;
      case "process_cpu_seconds_total":
        scrape.cpuSeconds = value;
        break;
      case "pando_long_polls":
        scrape.longPolls[labels.kind ?? ""] = value;
        break;
      case "pando_jobs_dispatched_total":
        scrape.dispatched += value;
        break;
      case "pando_jobs":
        if (labels.state === "activated" || labels.state === "defined") scrape.queued += value;
        break;
      case "nodejs_eventloop_lag_p99_seconds":
        scrape.eventLoopLagP99S = value;
        break;
      case "nodejs_eventloop_lag_max_seconds":
        scrape.eventLoopLagMaxS = value;
        break;
      case "pando_http_request_duration_seconds_count": {
        if (labels.status?.startsWith("5")) scrape.failedRequests[labels.status] = (scrape.failedRequests[labels.status] ?? 0) + value;
        const route = `${labels.method ?? ""} ${labels.route ?? ""}`;
        scrape.requests[route] = (scrape.requests[route] ?? 0) + value;
        break;
      }
      case "pando_store_operation_duration_seconds_count":
      case "pando_store_operation_duration_seconds_sum": {
        const op = (scrape.storeOperations[labels.operation ?? ""] ??= { count: 0, seconds: 0 });
        if (m[1].endsWith("_count")) op.count += value;
        else op.seconds += value;
        break;
      }
    }
  }
  return scrape;
}

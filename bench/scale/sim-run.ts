// One measurement of the simulated pilots: a fresh server on the durable cluster, the load generator in as many
// processes as its sockets need, one window measured by all of them at once; the server's own figures over it
// come from its GET /metrics, scraped every second.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { stop } from "../server-process.js";
import { percentile } from "../stats.js";
import { freshServer, type Cluster } from "./cluster.js";
import type { LoadOptions, LoadResult } from "./load.js";
import { scrapeServer, type ServerScrape } from "./server-metrics.js";

const LOAD = resolve(import.meta.dirname, "load.ts");
/**
 * Pilots per generator process: the generators' work spreads over several processes (each pilot holds one
 * socket of its own, its long-poll, and shares a pool of `sharedConnections` with the process's other pilots;
 * a process may open as many files as its hard limit lets it, 20,000 where this was measured).
 */
const PILOTS_PER_PROCESS = 2500;

export interface SimSettings {
  pilots: number;
  slots: number;
  jobMs: number;
  windowS: number;
  rampS: number;
  taskJobs: number;
  /** The short requests' pool of each generator process (LoadOptions.sharedConnections); 0: each pilot's own. */
  sharedConnections: number;
}

export interface SimFigures extends SimSettings {
  processes: number;
  /** Seconds until every pilot had registered; null: not all had when the window began (see `registered`). */
  registerS: number | null;
  /** Pilots registered when the window began. */
  registered: number;
  jobsPerS: number;
  reportedPerS: number;
  running: number;
  acquireP50Ms: number;
  acquireP99Ms: number;
  serverRssMiB: number;
  /** The largest of the server's RSS scraped each second of the window. */
  serverPeakRssMiB: number;
  serverCpuPct: number;
  /** The server's own count of jobs handed out in the window, per second (pando_jobs_dispatched_total). */
  serverJobsPerS: number;
  /** Jobs waiting for a pilot (the server's pando_jobs, activated and defined), the least and the mean of the window's scrapes. */
  queuedMin: number;
  queuedMean: number;
  /** Acquire long-polls the server held, at the end of the window. */
  longPollsHeld: number;
  eventLoopLagP99Ms: number;
  eventLoopLagMaxMs: number;
  /** Requests the server answered 5xx in the window, by status. */
  serverFailures: Record<string, number>;
  /** Requests the server answered per second of the window, by method and route (those of at least 1/s). */
  requestsPerS: Record<string, number>;
  /** Store operations per second of the window by name, with their mean time (ms), those of at least 1/s. */
  storeOperationsPerS: Record<string, { perS: number; meanMs: number }>;
  generatorRssMiB: number;
  generatorCpuPct: number;
  errors: Record<string, number>;
}

interface Generator {
  proc: ChildProcess;
  lines: AsyncIterator<string>;
}

function startGenerator(options: LoadOptions): Generator {
  const proc = spawn(process.execPath, ["--import", "tsx", LOAD, JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return { proc, lines };
}

async function line(g: Generator): Promise<string> {
  const next = await g.lines.next();
  if (next.done) throw new Error(`a load generator exited (${g.proc.exitCode ?? g.proc.signalCode}) before it answered`);
  return next.value;
}

/** A TCP port free now on this host. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Counters' growth between two scrapes, per second; the kinds of at least 1/s, most frequent first. */
function perSecond(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, number> {
  const rates = Object.entries(after).map(([k, n]) => [k, (n - (before[k] ?? 0)) / seconds] as const);
  return Object.fromEntries(rates.filter(([, r]) => r >= 1).sort((a, b) => b[1] - a[1]));
}

function operationsPerSecond(s0: ServerScrape, s1: ServerScrape, seconds: number): Record<string, { perS: number; meanMs: number }> {
  const counts = perSecond(
    Object.fromEntries(Object.entries(s0.storeOperations).map(([k, o]) => [k, o.count])),
    Object.fromEntries(Object.entries(s1.storeOperations).map(([k, o]) => [k, o.count])),
    seconds,
  );
  return Object.fromEntries(
    Object.entries(counts).map(([k, perS]) => {
      const secondsSpent = s1.storeOperations[k]!.seconds - (s0.storeOperations[k]?.seconds ?? 0);
      return [k, { perS, meanMs: (1000 * secondsSpent) / (perS * seconds) }];
    }),
  );
}

export async function measureSim(cluster: Cluster, s: SimSettings): Promise<SimFigures> {
  const processes = Math.ceil(s.pilots / PILOTS_PER_PROCESS);
  // Every pilot's long-poll is held at once: the server's budget of them (default a quarter of its open files) covers them.
  // On 127.0.0.1 only, as every service of a benchmark: a client host has about 28,000 local ports per
  // destination address, which thousands of pilots' own connections (up to four each) and those they leave in
  // TIME_WAIT would exhaust near 10,000 pilots: hence the generators' shared pools of short requests.
  const port = await freePort();
  const server = await freshServer(cluster, `scale_${s.pilots}`, ["--max-pilot-waits", String(s.pilots + 100), "--port", String(port)]);
  const gens: Generator[] = [];
  try {
    for (let i = 0; i < processes; i++) {
      const pilots = Math.floor(s.pilots / processes) + (i < s.pilots % processes ? 1 : 0);
      gens.push(startGenerator({ server: `http://127.0.0.1:${port}`, userToken: server.creds.userToken, pilotToken: server.creds.pilotToken, pilots, slots: s.slots, jobMs: s.jobMs, taskJobs: s.taskJobs, rampS: s.rampS, sharedConnections: s.sharedConnections }));
    }
    for (const g of gens) if ((await line(g)) !== "ready") throw new Error("a load generator did not get ready");
    const scrape = () => scrapeServer(`http://127.0.0.1:${port}`, server.creds.userToken);
    // The first scrape also starts the event loop's lag afresh: the last one covers the window.
    const s0 = await scrape();
    for (const g of gens) g.proc.stdin!.write("start\n");
    let rss = s0.rssBytes;
    let s1: ServerScrape = s0;
    const queued = [s0.queued];
    while (s1.at - s0.at < s.windowS * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      s1 = await scrape();
      rss = Math.max(rss, s1.rssBytes);
      queued.push(s1.queued);
    }
    for (const g of gens) g.proc.stdin!.write("stop\n");
    const elapsedS = (s1.at - s0.at) / 1000;
    const results = await Promise.all(gens.map(async (g) => JSON.parse(await line(g)) as LoadResult));
    const latencies = results.flatMap((r) => r.latencies);
    const errors: Record<string, number> = {};
    for (const r of results) for (const [k, n] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + n;
    const sum = (f: (r: LoadResult) => number) => results.reduce((n, r) => n + f(r), 0);
    return {
      ...s,
      processes,
      registerS: results.some((r) => r.registerS === null) ? null : Math.max(...results.map((r) => r.registerS ?? 0)),
      registered: sum((r) => r.registered),
      jobsPerS: sum((r) => r.dispatched) / elapsedS,
      reportedPerS: sum((r) => r.reported) / elapsedS,
      running: sum((r) => r.running),
      acquireP50Ms: percentile(latencies, 0.5),
      acquireP99Ms: percentile(latencies, 0.99),
      serverRssMiB: s1.rssBytes / 2 ** 20,
      serverPeakRssMiB: rss / 2 ** 20,
      serverCpuPct: (100 * (s1.cpuSeconds - s0.cpuSeconds)) / elapsedS,
      serverJobsPerS: (s1.dispatched - s0.dispatched) / elapsedS,
      queuedMin: Math.min(...queued),
      queuedMean: queued.reduce((n, q) => n + q, 0) / queued.length,
      longPollsHeld: s1.longPolls.acquire ?? 0,
      eventLoopLagP99Ms: s1.eventLoopLagP99S * 1000,
      eventLoopLagMaxMs: s1.eventLoopLagMaxS * 1000,
      serverFailures: Object.fromEntries(Object.entries(s1.failedRequests).map(([status, n]) => [status, n - (s0.failedRequests[status] ?? 0)])),
      requestsPerS: perSecond(s0.requests, s1.requests, elapsedS),
      storeOperationsPerS: operationsPerSecond(s0, s1, elapsedS),
      generatorRssMiB: sum((r) => r.rssBytes) / 2 ** 20,
      generatorCpuPct: (100 * sum((r) => r.cpuSeconds)) / elapsedS,
      errors,
    };
  } finally {
    for (const g of gens) g.proc.kill("SIGKILL");
    await stop(server.proc);
    rmSync(server.dir, { recursive: true, force: true });
  }
}

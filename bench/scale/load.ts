// The load generator of the scale benchmark, one process: N simulated pilots (sim-pilot.ts) on one server, and a
// feeder that submits tasks as a user so that the pilots' slots stay busy. Ramps up, prints "ready", counts
// between the next two lines of its standard input, prints one JSON line of figures, and exits (the server is
// thrown away after each run). Several run side by side, so that the generators' work spreads over the cores.
//   tsx bench/scale/load.ts '<json of LoadOptions>'
import { Pool } from "undici";
import { apiCaller } from "../../src/api/caller.js";
import { sha256Hex } from "../../src/codec/sha256.js";
import { HttpTransport } from "../../src/sdk/http.js";
import { raiseOpenFileLimit } from "./fd-limit.js";
import { SimPilot, type SimShared } from "./sim-pilot.js";
import { peakRss, processSample } from "./proc-stats.js";

export interface LoadOptions {
  server: string;
  userToken: string;
  pilotToken: string;
  pilots: number;
  slots: number;
  jobMs: number;
  /** Jobs per submitted task; 0: no feeder (the pilots serve what others submit). */
  taskJobs: number;
  /** Longest ramp-up, seconds. */
  rampS: number;
  /**
   * Connections of the keep-alive pool that carries the short requests of all this process's pilots (each
   * pilot's long-poll keeps a connection of its own); 0: every pilot its own connections, as a real pilot.
   */
  sharedConnections: number;
}

/** One generator process's figures of the measured window. */
export interface LoadResult {
  /** Seconds until every pilot had registered; null: not all had when the window began. */
  registerS: number | null;
  /** Pilots registered when the window began. */
  registered: number;
  dispatched: number;
  reported: number;
  /** Mean jobs held by this process's pilots in the window (dispatched, not yet reported nor dropped). */
  running: number;
  /** Acquire latencies of the window, ms: from the moment a pilot had room and asked to the answer with jobs. */
  latencies: number[];
  rssBytes: number;
  cpuSeconds: number;
  errors: Record<string, number>;
}

const REGISTER_CONCURRENCY = 50;
/** Longest wait for every pilot to register before the ramp-up starts, seconds. */
const REGISTER_MAX_S = 120;
const FEED_EVERY_MS = 100;
/**
 * Tasks a feeder submits side by side: each is recorded in one transaction, and one at a time did not keep
 * 50,000 slots of 5 s jobs fed; with several in flight the server's dispatch, not the feeder, is the bound
 * (the benchmark checks that jobs stay queued through the window).
 */
const FEEDS_IN_FLIGHT = 3;

async function feeder(o: LoadOptions, dispatched: () => number, target: number, onError: SimShared["onError"]) {
  const http = new HttpTransport(o.server, o.userToken);
  const api = apiCaller(http);
  const code = new TextEncoder().encode("export const noop = () => null;\n");
  const bundleHash = sha256Hex(code);
  await api.putBundle({ params: { hash: bundleHash }, body: code });
  const { id } = await api.createWorkflow({ body: { name: "bench.scale" } });
  const args = JSON.stringify([1]);
  const jobs = Array.from({ length: o.taskJobs }, (_, i) => ({ key: String(i), args }));
  let stopped = false;
  /** Jobs submitted or being submitted. */
  let submitted = 0;
  let tasks = 0;
  const beat = setInterval(() => void api.driverHeartbeat({ params: { id } }).catch(() => undefined), 5000);
  const loop = async () => {
    while (!stopped) {
      if (submitted - dispatched() < target) {
        submitted += o.taskJobs;
        // Distinct keys per task: the server memoises by work, key and arguments within a workflow.
        const prefix = tasks++;
        try {
          await api.submitTask({ params: { id }, body: { work: "bench.noop", bundleHash, jobs: jobs.map((j) => ({ ...j, key: `${prefix}.${j.key}` })) } });
        } catch (err) {
          submitted -= o.taskJobs;
          onError("submit", err);
          await new Promise((r) => setTimeout(r, 1000));
        }
      } else await new Promise((r) => setTimeout(r, FEED_EVERY_MS));
    }
  };
  const loops = Array.from({ length: FEEDS_IN_FLIGHT }, loop);
  return {
    async stop() {
      stopped = true;
      clearInterval(beat);
      await Promise.all(loops);
      await http.close();
    },
  };
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]!) as LoadOptions;
  // Each pilot holds its long-poll's connection, and up to three more of its own unless the pool is shared.
  raiseOpenFileLimit(o.pilots * (o.sharedConnections > 0 ? 1 : 4) + o.sharedConnections + 1024);
  const pools = new Map<string, Pool>();
  const sharedPool = (url: string) => {
    let pool = pools.get(url);
    if (!pool) {
      pool = new Pool(url, { connections: o.sharedConnections, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
      pools.set(url, pool);
    }
    return pool;
  };
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let dispatched = 0;
  let reported = 0;
  /** Jobs dropped by pilots the server declared ended: no longer held. */
  let dropped = 0;
  let measuring = false;
  const shared: SimShared = {
    onJobs(count, latencyMs) {
      dispatched += count;
      if (measuring) latencies.push(latencyMs);
    },
    onReported(count) {
      reported += count;
    },
    onDropped(count) {
      dropped += count;
    },
    onError(what, err) {
      // Counted by kind: the pilot ids and ports in messages are left out.
      const key = `${what}: ${(err instanceof Error ? err.message : String(err)).replace(/\d+/g, "N").slice(0, 120)}`;
      errors[key] = (errors[key] ?? 0) + 1;
    },
  };
  const capacity = o.pilots * o.slots;
  // Enough queued work that no pilot waits for the feeder: a second round of the slots, at least two tasks.
  const feed = o.taskJobs > 0 ? await feeder(o, () => dispatched, Math.max(capacity, 2 * o.taskJobs), shared.onError) : undefined;
  const pilots = Array.from(
    { length: o.pilots },
    (_, i) =>
      new SimPilot({ server: o.server, token: o.pilotToken, queue: "local", name: `sim-${i}`, slots: o.slots, jobMs: o.jobMs, shared, ...(o.sharedConnections > 0 ? { sharedPool } : {}) }),
  );
  const t0 = performance.now();
  let next = 0;
  let registered = 0;
  let registerS = Infinity;
  const registering = Promise.all(
    Array.from({ length: REGISTER_CONCURRENCY }, async () => {
      while (next < pilots.length) {
        const pilot = pilots[next++]!;
        try {
          await pilot.start();
          registered++;
        } catch (err) {
          shared.onError("register gave up", err);
        }
      }
    }),
  ).then(() => (registerS = (performance.now() - t0) / 1000));
  // A server that cannot register them all in REGISTER_MAX_S is measured with those it did (the rest go on trying).
  await Promise.race([registering, new Promise((r) => setTimeout(r, REGISTER_MAX_S * 1000))]);
  // Ramp-up: until the slots are nearly full and a whole job duration has passed (reports flow), or rampS.
  const rampEnd = performance.now() + (feed ? o.rampS * 1000 : 0);
  const settle = performance.now() + o.jobMs + 2000;
  while (performance.now() < rampEnd && (registered < o.pilots || dispatched - reported - dropped < 0.9 * capacity || performance.now() < settle)) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const registeredAtWindow = registered;
  // The benchmark measures all its generator processes over one window: it says when.
  process.stdout.write("ready\n");
  await nextLine();
  measuring = true;
  const d0 = dispatched;
  const r0 = reported;
  const g0 = processSample(process.pid);
  let heldSum = 0;
  let heldSamples = 0;
  const sampler = setInterval(() => {
    heldSum += dispatched - reported - dropped;
    heldSamples++;
  }, 1000);
  await nextLine();
  clearInterval(sampler);
  measuring = false;
  const g1 = processSample(process.pid);
  const result: LoadResult = {
    registerS: Number.isFinite(registerS) ? registerS : null,
    registered: registeredAtWindow,
    dispatched: dispatched - d0,
    reported: reported - r0,
    running: heldSum / Math.max(1, heldSamples),
    latencies,
    rssBytes: peakRss(process.pid),
    cpuSeconds: g1.cpuSeconds - g0.cpuSeconds,
    errors,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await feed?.stop();
  // The server is thrown away after the run: the pilots need not leave one by one.
  process.exit(0);
}

/** The next line on standard input (the benchmark's "start" and "stop"). */
function nextLine(): Promise<void> {
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      if (!chunk.includes(10)) return;
      process.stdin.off("data", onData);
      process.stdin.pause();
      resolve();
    };
    process.stdin.resume();
    process.stdin.on("data", onData);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

// `npm run bench:hops`: where a warm single-job call spends its time, hop by hop. Runs the latency
// benchmark (bench/pando-noop.ts#latency) with PANDO_TRACE_HOPS set on the embedded default (SQLite, REST),
// on the ActiveMQ path, and on PostgreSQL (a durable cluster, `pando run --server`), merges the processes'
// traces by job and prints each hop's median and p99 as a markdown table.
//   --calls N         single-job calls per path (300)
//   --paths a,b       some of sqlite, processes (SQLite, --pilot-processes), activemq, postgres (all four)
//   --cpu-prof        also profile the server and pilot processes and list the top self-time functions
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ClockLine, HopLine } from "../src/sdk/hop-trace-file.js";
import { CLI, startServer, stop } from "./server-process.js";
import { median, percentile } from "./stats.js";
import { BROKER_ENV } from "./broker-logins.js";

const ROOT = resolve(import.meta.dirname, "..");
const ACTIVEMQ_PORT = 61692;
const POSTGRES_PORT = 55445;
/** The latency workflow's warm-up calls, left out of the breakdown. */
const WARM_UP_CALLS = 20;
const TOP_FUNCTIONS = 12;

type Path = "sqlite" | "processes" | "activemq" | "postgres";

/** The critical path of a call on each path, and hops off it with the hop they are measured from. */
const CHAIN: Record<"rest" | "broker", string[]> = {
  rest: [
    "driver.call", "driver.submit_sent", "server.submit_received", "server.recorded", "server.handed", "pilot.received",
    "pilot.to_executor", "executor.start", "executor.end", "pilot.result", "pilot.report_sent", "server.report_received",
    "server.applied", "driver.woken", "driver.decoded",
  ],
  broker: [
    "driver.call", "driver.submit_sent", "server.submit_received", "server.recorded", "server.handed", "pilot.received",
    "pilot.to_executor", "executor.start", "executor.end", "pilot.result", "pilot.published", "driver.woken", "driver.decoded",
  ],
};
const OFF_PATH: Record<"rest" | "broker", Array<[string, string]>> = {
  rest: [["server.recorded", "driver.submit_answered"]],
  broker: [
    ["server.recorded", "driver.submit_answered"],
    ["pilot.published", "server.report_received"],
    ["server.report_received", "server.applied"],
  ],
};

interface Breakdown {
  path: Path;
  calls: number;
  workflow: { p50: number; p99: number };
  rows: Array<{ from: string; to: string; p50: number; p99: number; offPath: boolean }>;
  total: { p50: number; p99: number };
  profile?: string;
}

const { values: opts } = parseArgs({
  options: { calls: { type: "string", default: "300" }, paths: { type: "string", default: "sqlite,processes,activemq,postgres" }, "cpu-prof": { type: "boolean", default: false } },
});
const CALLS = Number(opts.calls);
const PATHS = opts.paths.split(",") as Path[];
for (const p of PATHS) if (!["sqlite", "processes", "activemq", "postgres"].includes(p)) throw new Error(`unknown path '${p}': use sqlite, processes, activemq or postgres`);

/** The environment that makes every process of a run trace its hops. */
function traceEnv(traceDir: string): NodeJS.ProcessEnv {
  return { ...process.env, PANDO_TRACE_HOPS: traceDir, PANDO_LOG_LEVEL: "warn" };
}

/** Node's options for the run, server and pilot processes: with --cpu-prof, each writes a profile (pilots forked by a run inherit them). */
let nodeArgs: string[] = [];

function runLatency(env: NodeJS.ProcessEnv, extra: string[]): { p50: number; p99: number } {
  const r = spawnSync(process.execPath, [...nodeArgs, CLI, "run", "bench/pando-noop.ts#latency", String(CALLS), "--json", "--quiet", ...extra], { cwd: ROOT, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`pando run latency failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as { p50: number; p99: number };
}

interface Trace {
  lines: HopLine[];
  /** Each process's role and clocks (its file's first line). */
  clocks: Map<number, ClockLine>;
}

function readTrace(dir: string): Trace {
  const lines: HopLine[] = [];
  const clocks = new Map<number, ClockLine>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".ndjson")) continue;
    for (const l of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (!l) continue;
      const record = JSON.parse(l) as HopLine | ClockLine;
      if ("clock" in record) clocks.set(record.pid, record);
      else lines.push(record);
    }
  }
  return { lines, clocks };
}

/** Each traced job's hops (first occurrence of each), keyed by job; records that know only the task join by task. */
function jobsOf(lines: HopLine[]): Map<number, Map<string, number>> {
  const jobOfTask = new Map<number, number>();
  for (const l of lines) if (l.task > 0 && l.job > 0) jobOfTask.set(l.task, l.job);
  const jobs = new Map<number, Map<string, number>>();
  for (const l of lines) {
    const job = l.job > 0 ? l.job : jobOfTask.get(l.task);
    if (job === undefined) continue;
    let hops = jobs.get(job);
    if (!hops) jobs.set(job, (hops = new Map()));
    if (!hops.has(l.hop)) hops.set(l.hop, l.t);
  }
  return jobs;
}

/** The measured calls: complete traces, after the warm-up ones, in call order. */
function measuredCalls(path: Path, lines: HopLine[]): Array<Map<string, number>> {
  const kind = path === "activemq" ? "broker" : "rest";
  return [...jobsOf(lines).values()]
    .filter((h) => CHAIN[kind].every((hop) => h.has(hop)))
    .sort((a, b) => a.get("driver.call")! - b.get("driver.call")!)
    .slice(WARM_UP_CALLS);
}

function breakdown(path: Path, lines: HopLine[], workflow: { p50: number; p99: number }): Breakdown {
  const kind = path === "activemq" ? "broker" : "rest";
  const complete = measuredCalls(path, lines);
  const stat = (ds: number[]) => ({ p50: median(ds), p99: percentile(ds, 0.99) });
  const gap = (from: string, to: string) => stat(complete.filter((h) => h.has(from) && h.has(to)).map((h) => h.get(to)! - h.get(from)!));
  const chain = CHAIN[kind];
  const rows = chain.slice(1).map((to, i) => ({ from: chain[i]!, to, ...gap(chain[i]!, to), offPath: false }));
  for (const [from, to] of OFF_PATH[kind]) rows.push({ from, to, ...gap(from, to), offPath: true });
  return { path, calls: complete.length, workflow, rows, total: gap("driver.call", "driver.decoded") };
}

/**
 * The top self-time functions of the run, server and pilot processes' profiles, counting only the samples
 * taken while the measured calls ran (from the first one's start to the last one's end, hop clock).
 */
function topFunctions(profDir: string, clocks: Map<number, ClockLine>, window: [number, number]): string {
  const byRole = new Map<string, Map<string, number>>();
  let files: string[];
  try {
    files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile"));
  } catch {
    return "no CPU profiles were written";
  }
  for (const f of files) {
    const clock = clocks.get(Number(f.split(".")[3]));
    if (!clock) continue;
    const role = clock.role;
    // The window on this process's monotonic clock, in µs, as the profile's sample times are.
    const [from, to] = window.map((t) => clock.clock.monotonicUs + (t - clock.clock.t) * 1000);
    const prof = JSON.parse(readFileSync(join(profDir, f), "utf8")) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      startTime: number;
      samples: number[];
      timeDeltas: number[];
    };
    const nameOf = new Map(prof.nodes.map((n) => [n.id, `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${n.callFrame.lineNumber + 1}`]));
    let self = byRole.get(role);
    if (!self) byRole.set(role, (self = new Map()));
    let at = prof.startTime;
    prof.samples.forEach((id, i) => {
      at += prof.timeDeltas[i] ?? 0;
      if (at < from! || at > to!) return;
      const name = nameOf.get(id)!;
      self.set(name, (self.get(name) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
    });
  }
  const out: string[] = [];
  for (const [role, self] of byRole) {
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    const busy = [...self.entries()].filter(([n]) => !/^\((idle|program|garbage collector)\)/.test(n));
    out.push(`${role} processes: ${total.toFixed(0)} ms sampled while the measured calls ran; top self time:`);
    for (const [name, ms] of busy.sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS)) out.push(`  ${ms.toFixed(1).padStart(8)} ms  ${name}`);
    const gc = self.get([...self.keys()].find((n) => n.startsWith("(garbage collector)")) ?? "") ?? 0;
    out.push(`  ${gc.toFixed(1).padStart(8)} ms  (garbage collector)`);
  }
  return out.join("\n");
}

async function measure(path: Path): Promise<Breakdown> {
  const dir = mkdtempSync(join(tmpdir(), "pando-hops-"));
  const traceDir = join(dir, "trace");
  const profDir = join(dir, "prof");
  mkdirSync(traceDir);
  const env = traceEnv(traceDir);
  nodeArgs = opts["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
  try {
    let workflow: { p50: number; p99: number };
    if (path === "postgres") workflow = await onPostgres(dir, env);
    else if (path === "activemq") workflow = onActiveMq(dir, env);
    else workflow = runLatency(env, ["--data-dir", join(dir, "data"), ...(path === "processes" ? ["--pilot-processes"] : [])]);
    const trace = readTrace(traceDir);
    const result = breakdown(path, trace.lines, workflow);
    if (opts["cpu-prof"]) {
      const calls = measuredCalls(path, trace.lines);
      const window: [number, number] = [calls[0]?.get("driver.call") ?? 0, calls.at(-1)?.get("driver.decoded") ?? 0];
      result.profile = topFunctions(profDir, trace.clocks, window);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The embedded server with ActiveMQ; a first run unrecorded, as a broker in service is warm. */
function onActiveMq(dir: string, env: NodeJS.ProcessEnv): { p50: number; p99: number } {
  const script = join(ROOT, "scripts", "services", "activemq.sh");
  const brokerEnv = { ...process.env, ...BROKER_ENV };
  execFileSync(script, ["up", String(ACTIVEMQ_PORT)], { stdio: "ignore", env: brokerEnv });
  const broker = { ...BROKER_ENV, PANDO_BROKER: `stomp://127.0.0.1:${ACTIVEMQ_PORT}` };
  try {
    runLatency({ ...process.env, ...broker }, ["--data-dir", join(dir, "warm-up")]);
    return runLatency({ ...env, ...broker }, ["--data-dir", join(dir, "data")]);
  } finally {
    execFileSync(script, ["purge", String(ACTIVEMQ_PORT)], { stdio: "ignore", env: brokerEnv });
  }
}

/** `pando server` on a durable PostgreSQL cluster of its own, two pilots, the driver through `pando run --server`. */
async function onPostgres(dir: string, env: NodeJS.ProcessEnv): Promise<{ p50: number; p99: number }> {
  const pg = join(ROOT, "scripts", "services", "postgres.sh");
  const services = join(dir, "services");
  mkdirSync(services);
  chmodSync(dir, 0o755);
  chmodSync(services, 0o755);
  const pgEnv = { ...process.env, PANDO_SERVICES_DIR: services, PANDO_POSTGRES_DURABLE: "1" };
  const db = execFileSync(pg, ["up", String(POSTGRES_PORT)], { env: pgEnv, encoding: "utf8" }).trim();
  const pilots: ChildProcess[] = [];
  try {
    const server = await startServer(join(dir, "server"), db, { env, nodeArgs });
    try {
      for (let p = 0; p < 2; p++) {
        const args = [...nodeArgs, CLI, "pilot", "--server", server.url, "--queue", "local", "--slots", "1", "--cache-dir", join(dir, `cache-${p}`)];
        pilots.push(spawn(process.execPath, args, { stdio: "ignore", env: { ...env, PANDO_TOKEN: server.creds.pilotToken } }));
      }
      return runLatency(env, ["--server", server.url, "--token", server.creds.userToken]);
    } finally {
      await Promise.all(pilots.map(stop));
      await stop(server.proc);
    }
  } finally {
    execFileSync(pg, ["down", String(POSTGRES_PORT)], { env: pgEnv, stdio: "ignore" });
  }
}

function table(results: Breakdown[]): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "—");
  const out = [
    `Warm single-job calls, ${CALLS} per path (the first ${WARM_UP_CALLS} left out); per hop, median and p99 in ms.`,
    "",
    `| hop | ${results.map((r) => `${r.path} p50 | ${r.path} p99`).join(" | ")} |`,
    `| --- | ${results.map(() => "--- | ---").join(" | ")} |`,
  ];
  const keys: string[] = [];
  for (const r of results) for (const row of r.rows) if (!keys.includes(`${row.from} → ${row.to}`)) keys.push(`${row.from} → ${row.to}`);
  for (const key of keys) {
    const cells = results.map((r) => {
      const row = r.rows.find((x) => `${x.from} → ${x.to}` === key);
      return row ? `${f(row.p50)} | ${f(row.p99)}` : "— | —";
    });
    const having = results.filter((r) => r.rows.some((x) => `${x.from} → ${x.to}` === key));
    const offIn = having.filter((r) => r.rows.find((x) => `${x.from} → ${x.to}` === key)!.offPath).map((r) => r.path);
    const off = offIn.length === 0 ? "" : offIn.length === having.length ? " (off the path)" : ` (off the path on ${offIn.join(", ")})`;
    out.push(`| ${key}${off} | ${cells.join(" | ")} |`);
  }
  out.push(`| **call, traced end to end** | ${results.map((r) => `${f(r.total.p50)} | ${f(r.total.p99)}`).join(" | ")} |`);
  out.push(`| call, as the workflow timed it | ${results.map((r) => `${f(r.workflow.p50)} | ${f(r.workflow.p99)}`).join(" | ")} |`);
  out.push(`| calls traced | ${results.map((r) => `${r.calls} | `).join(" | ")} |`);
  return out.join("\n");
}

async function main(): Promise<void> {
  const results: Breakdown[] = [];
  for (const p of PATHS) {
    results.push(await measure(p));
    process.stderr.write(`${p} done\n`);
  }
  process.stdout.write(`${table(results)}\n`);
  for (const r of results) if (r.profile) process.stdout.write(`\n### ${r.path}: CPU profile\n\n${r.profile}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

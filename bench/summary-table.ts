// The summary of one `npm run bench`: every comparison of the performance targets, Pando beside its peer
// of the same run, with the ratio and whether the target is met. Pure: the results of the parts measured
// in this run go in (bench/summary.ts reads them), the table's lines come out; a part not given renders
// as "not measured in this run".
import { median } from "./stats.js";

interface Throughput {
  jobsPerSecond: number;
}
interface Latency {
  p50: number;
  p99: number;
}
interface Runs {
  throughput: Throughput[];
  latency: Latency[];
}
interface ServerRun extends Throughput, Latency {}

/**
 * bench/results/run.json: the embedded default over REST and both brokers, its pilots as child processes
 * (`--pilot-processes`; absent from runs before the pilots were in the run's process by default), and BullMQ.
 */
export interface RunResults {
  results: Record<"pando" | "activemq" | "rabbitmq" | "bullmq", Runs> & { pilotProcesses?: Runs };
}
/** bench/results/postgres.json: Pando on PostgreSQL beside graphile-worker and pg-boss. */
export interface PostgresResults {
  runs: Partial<Record<"pando" | "graphile2x1" | "graphileBest" | "pgBoss", ServerRun[]>>;
}
/** bench/results/cold-start.json. */
export interface ColdStartResults {
  wallMs: number;
  peakRssMiB: number;
  /** With `--pilot-processes` (absent from runs before the pilots were in the run's process by default). */
  pilotProcesses?: { wallMs: number; peakRssMiB: number };
  runs: unknown;
}
/** bench/results/hpo-shape.json: makespans per setup. */
export interface HpoResults {
  idealMs: number;
  runs: Record<string, Array<{ makespanMs: number }>>;
}

/** bench/results/optimize.json: median simple regret by test function, then by sampler (random, tpe, gp). */
export interface OptimizeResults {
  results: Record<string, Record<string, { medianRegret: number }>>;
}

export interface SummaryInput {
  run?: RunResults;
  postgres?: PostgresResults;
  coldStart?: ColdStartResults;
  hpo?: HpoResults;
  optimize?: OptimizeResults;
}

export const NOT_MEASURED = "not measured in this run";

const fmt = (n: number, digits: number) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (n: number) => `${n.toFixed(2)}×`;
const verdict = (met: boolean) => (met ? "**met**" : "**not met**");

const throughputOf = (runs: Runs | ServerRun[]) => median(("throughput" in runs ? runs.throughput : runs).map((r) => r.jobsPerSecond));

/** The run whose p50 is the median's, with its own p99 (as bench/run.ts reports it). */
function latencyOf(runs: Runs | ServerRun[]): Latency {
  const all = "latency" in runs ? runs.latency : runs;
  const p50 = median(all.map((r) => r.p50));
  return all.find((r) => r.p50 === p50)!;
}

const latencyCell = (l: Latency) => `${fmt(l.p50, 2)} / ${fmt(l.p99, 2)} ms`;

type Row = [path: string, pando: string, peer: string, ratio: string, target: string, verdict: string];

/** The throughput and warm latency rows of one embedded setup against BullMQ. */
function againstBullmq(paths: readonly [string, string], pando: Runs | undefined, bullmq: Runs | undefined): Row[] {
  if (!pando || !bullmq) {
    return [
      [paths[0], NOT_MEASURED, NOT_MEASURED, "—", "≥ 2.5× BullMQ", "—"],
      [paths[1], NOT_MEASURED, NOT_MEASURED, "—", "p50 ≤ BullMQ's, p99 ≤ 5 ms", "—"],
    ];
  }
  const t = { pando: throughputOf(pando), bullmq: throughputOf(bullmq) };
  const l = { pando: latencyOf(pando), bullmq: latencyOf(bullmq) };
  return [
    [paths[0], `${fmt(t.pando, 0)} jobs/s`, `BullMQ ${fmt(t.bullmq, 0)} jobs/s`, ratio(t.pando / t.bullmq), "≥ 2.5× BullMQ", verdict(t.pando >= 2.5 * t.bullmq)],
    [
      paths[1],
      latencyCell(l.pando),
      `BullMQ ${latencyCell(l.bullmq)}`,
      `p50 ${ratio(l.pando.p50 / l.bullmq.p50)}`,
      "p50 ≤ BullMQ's, p99 ≤ 5 ms",
      verdict(l.pando.p50 <= l.bullmq.p50 && l.pando.p99 <= 5),
    ],
  ];
}

function embeddedRows(run: RunResults | undefined): Row[] {
  const paths = ["embedded (SQLite), no-op throughput, 20,000 jobs", "embedded, warm latency p50 / p99 (500 calls)"] as const;
  const processes = ["embedded, pilots as child processes (`--pilot-processes`): no-op throughput", "the same: warm latency p50 / p99"] as const;
  const brokers = ["ActiveMQ path p50 / p99", "RabbitMQ path p50 / p99"];
  if (!run) {
    return [
      ...againstBullmq(paths, undefined, undefined),
      ...againstBullmq(processes, undefined, undefined),
      ...brokers.map((b): Row => [b, NOT_MEASURED, NOT_MEASURED, "—", "p50 ≤ 1.25× the REST path's, p99 ≤ 10 ms", "—"]),
    ];
  }
  const r = run.results;
  const l = { pando: latencyOf(r.pando) };
  const brokerRow = (name: string, runs: Runs): Row => {
    const b = latencyOf(runs);
    return [
      name,
      latencyCell(b),
      `REST path ${latencyCell(l.pando)}`,
      `p50 ${ratio(b.p50 / l.pando.p50)}`,
      "p50 ≤ 1.25× the REST path's, p99 ≤ 10 ms",
      verdict(b.p50 <= 1.25 * l.pando.p50 && b.p99 <= 10),
    ];
  };
  return [
    ...againstBullmq(paths, r.pando, r.bullmq),
    ...againstBullmq(processes, r.pilotProcesses, r.bullmq),
    brokerRow(brokers[0]!, r.activemq),
    brokerRow(brokers[1]!, r.rabbitmq),
  ];
}

function postgresRows(pg: PostgresResults | undefined): Row[] {
  const paths = ["PostgreSQL (fsync and synchronous_commit on), one server, 2 pilots: throughput", "PostgreSQL, warm latency p50 / p99"];
  const targets = ["≥ graphile-worker's best", "p50 ≤ 4 ms, p99 ≤ 10 ms"];
  const { pando, graphile2x1, graphileBest, pgBoss } = pg?.runs ?? {};
  if (!pando) return paths.map((p, i): Row => [p, NOT_MEASURED, NOT_MEASURED, "—", targets[i]!, "—"]);
  const t = throughputOf(pando);
  const l = latencyOf(pando);
  // graphile-worker returns no results: how its completion was seen goes beside its numbers.
  const peers = (cell: (runs: ServerRun[]) => string, graphileDone: string) =>
    [
      graphileBest && `graphile-worker best ${cell(graphileBest)}`,
      graphile2x1 && `graphile-worker 2 × 1 ${cell(graphile2x1)}`,
      (graphileBest || graphile2x1) && `(graphile-worker: no results returned; done = ${graphileDone})`,
      pgBoss && `pg-boss best ${cell(pgBoss)} (polls every 0.5 s at most often)`,
    ].filter(Boolean).join("; ") || NOT_MEASURED;
  const best = graphileBest && throughputOf(graphileBest);
  const twoByOne = graphile2x1 && latencyOf(graphile2x1);
  return [
    [
      paths[0]!,
      `${fmt(t, 0)} jobs/s`,
      peers((r) => `${fmt(throughputOf(r), 0)} jobs/s`, "its jobs table drained"),
      best ? `${ratio(t / best)} graphile-worker best` : "—",
      targets[0]!,
      best ? verdict(t >= best) : "—",
    ],
    [
      paths[1]!,
      latencyCell(l),
      peers((r) => latencyCell(latencyOf(r)), "its job's delete NOTIFYing the submitter"),
      twoByOne ? `p50 ${ratio(l.p50 / twoByOne.p50)} graphile-worker 2 × 1` : "—",
      targets[1]!,
      verdict(l.p50 <= 4 && l.p99 <= 10),
    ],
  ];
}

function coldStartRows(cold: ColdStartResults | undefined): Row[] {
  const paths = ["cold start: `pando run examples/hello/hello.ts#hello 5`, wall", "the same, pilots as child processes (`--pilot-processes`)"];
  const row = (path: string, m: { wallMs: number; peakRssMiB: number } | undefined): Row =>
    m ? [path, `${fmt(m.wallMs / 1000, 2)} s (${fmt(m.peakRssMiB, 0)} MiB peak)`, "—", "—", "≤ 1.0 s", verdict(m.wallMs <= 1000)] : [path, NOT_MEASURED, "—", "—", "≤ 1.0 s", "—"];
  return [row(paths[0]!, cold), row(paths[1]!, cold?.pilotProcesses)];
}

/** The setups whose pilots are child processes (`--pilot-processes`), by their names' suffix. */
const PROCESSES_SETUP = /-processes$/;

function hpoRow(hpo: HpoResults | undefined, processes: boolean): Row {
  const path = processes
    ? "the same, pilots as child processes (`--pilot-processes`)"
    : "the paper's HPO shape: 10 iterations × 20 jobs of 1 s, 20 slots, embedded";
  const peer = "Ray Tune 1.14× (published, not measured here)";
  const setups = hpo ? Object.entries(hpo.runs).filter(([name, runs]) => runs.length > 0 && PROCESSES_SETUP.test(name) === processes) : [];
  if (!hpo || setups.length === 0) return [path, NOT_MEASURED, peer, "—", "≤ 1.02× ideal", "—"];
  const factors = setups.map(([name, runs]) => [name, median(runs.map((r) => r.makespanMs)) / hpo.idealMs] as const);
  return [
    path,
    factors.map(([name, f]) => `${name}: ${f.toFixed(3)}×`).join("; "),
    peer,
    `worst ${Math.max(...factors.map(([, f]) => f)).toFixed(3)}× ideal`,
    "≤ 1.02× ideal",
    verdict(factors.every(([, f]) => f <= 1.02)),
  ];
}

function optimizeRow(optimize: OptimizeResults | undefined): Row {
  const path = "pando/optimize: median simple regret of 10 seeds, 60 evaluations in batches of 5";
  const target = "GP and TPE below random search on every function";
  if (!optimize) return [path, NOT_MEASURED, NOT_MEASURED, "—", target, "—"];
  const functions = Object.keys(optimize.results);
  const regret = (sampler: string) => functions.map((f) => optimize.results[f]![sampler]!.medianRegret);
  const cell = (sampler: string) => regret(sampler).map((r) => r.toLocaleString("en-US", { maximumSignificantDigits: 2 })).join(" / ");
  const random = regret("random");
  const worst = (sampler: string) => Math.max(...regret(sampler).map((r, i) => r / random[i]!));
  return [
    path,
    `${functions.join(" / ")}: GP ${cell("gp")}; TPE ${cell("tpe")}`,
    `random search ${cell("random")}`,
    `worst GP ${ratio(worst("gp"))}, TPE ${ratio(worst("tpe"))} random's`,
    target,
    verdict(worst("gp") < 1 && worst("tpe") < 1),
  ];
}

export interface SummaryContext {
  date: string;
  machine: string;
  repeat: string;
  parts: readonly string[];
}

/** The summary section's lines: a heading line of context, then the table. */
export function summaryTable(input: SummaryInput, context: SummaryContext): string[] {
  const rows: Row[] = [
    ...embeddedRows(input.run),
    ...postgresRows(input.postgres),
    ...coldStartRows(input.coldStart),
    hpoRow(input.hpo, false),
    hpoRow(input.hpo, true),
    optimizeRow(input.optimize),
  ];
  return [
    `${context.date}; ${context.machine}; ${context.repeat}; parts run: ${context.parts.join(", ") || "none"}. ` +
      "Medians; the peer is measured in the same run, alternated with Pando; ratios are Pando ÷ peer.",
    "",
    "| path | Pando | peer in the same run | ratio | target | |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

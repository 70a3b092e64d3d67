import { describe, expect, it } from "vitest";
import { NOT_MEASURED, summaryTable, type RunResults, type SummaryInput } from "./summary-table.js";

const context = { date: "2026-12-06 12:00 UTC", machine: "2 cores", repeat: "PANDO_BENCH_REPEAT=3", parts: ["run"] };
const runs = (jobsPerSecond: number[], p50: number[], p99: number[]) => ({
  throughput: jobsPerSecond.map((j) => ({ jobsPerSecond: j })),
  latency: p50.map((p, i) => ({ p50: p, p99: p99[i]! })),
});
const run: RunResults = {
  results: {
    pando: runs([20_000, 26_000, 30_000], [1.0, 1.2, 3.0], [9.0, 4.0, 20.0]),
    activemq: runs([1, 1, 1], [1.4, 1.5, 1.6], [8, 8, 8]),
    rabbitmq: runs([1, 1, 1], [2.0, 2.0, 2.0], [8, 8, 8]),
    bullmq: runs([9_000, 10_000, 11_000], [1.3, 1.3, 1.3], [5, 5, 5]),
  },
};
const row = (lines: string[], path: string) => lines.find((l) => l.startsWith(`| ${path}`))!.split(" | ");

describe("summaryTable", () => {
  it("renders every row as not measured when no part ran, never an old number", () => {
    const lines = summaryTable({}, { ...context, parts: [] });
    const body = lines.filter((l) => l.startsWith("| ") && !l.startsWith("| path") && !l.startsWith("| ---"));
    expect(body).toHaveLength(13);
    for (const l of body) expect(l).toContain(NOT_MEASURED);
    expect(lines[0]).toContain("parts run: none");
  });

  it("takes medians, the median-p50 run's p99, ratios to the peer of the same run, and judges the targets", () => {
    const lines = summaryTable({ run }, context);
    const t = row(lines, "embedded (SQLite), no-op throughput");
    expect(t[1]).toBe("26,000 jobs/s");
    expect(t[2]).toBe("BullMQ 10,000 jobs/s");
    expect(t[3]).toBe("2.60×");
    expect(t[5]).toBe("**met** |");
    const l = row(lines, "embedded, warm latency");
    expect(l[1]).toBe("1.20 / 4.00 ms");
    expect(l[3]).toBe("p50 0.92×");
    expect(l[5]).toBe("**met** |");
    // 1.5 ms against REST's 1.2 ms is 1.25×: met; RabbitMQ's 2.0 ms is not.
    expect(row(lines, "ActiveMQ path")[5]).toBe("**met** |");
    expect(row(lines, "RabbitMQ path")[5]).toBe("**not met** |");
  });

  it("judges the pilot-processes path against the same BullMQ runs, and shows it unmeasured in a run before it existed", () => {
    const before = row(summaryTable({ run }, context), "embedded, pilots as child processes");
    expect(before[1]).toBe(NOT_MEASURED);
    const withIt: RunResults = { results: { ...run.results, pilotProcesses: runs([30_000, 31_000, 32_000], [0.9, 1.0, 1.1], [3, 4, 6]) } };
    const lines = summaryTable({ run: withIt }, context);
    const t = row(lines, "embedded, pilots as child processes");
    expect(t[1]).toBe("31,000 jobs/s");
    expect(t[3]).toBe("3.10×");
    const l = row(lines, "the same: warm latency");
    expect(l[1]).toBe("1.00 / 4.00 ms");
    expect(l[2]).toBe("BullMQ 1.30 / 5.00 ms");
    expect(l[5]).toBe("**met** |");
  });

  it("compares PostgreSQL throughput with graphile-worker's best and judges latency by its absolute target", () => {
    const pgRun = (jobsPerSecond: number, p50: number, p99: number) => [{ jobsPerSecond, p50, p99 }];
    const input: SummaryInput = {
      postgres: { runs: { pando: pgRun(8_000, 3.5, 9), graphileBest: pgRun(16_000, 5, 11), graphile2x1: pgRun(400, 3.5, 7) } },
    };
    const lines = summaryTable(input, context);
    const t = row(lines, "PostgreSQL (fsync");
    expect(t[2]).toContain("graphile-worker best 16,000 jobs/s");
    expect(t[2]).toContain("graphile-worker: no results returned; done = its jobs table drained");
    expect(t[2]).not.toContain("pg-boss");
    expect(t[3]).toBe("0.50× graphile-worker best");
    expect(t[5]).toBe("**not met** |");
    const l = row(lines, "PostgreSQL, warm latency");
    expect(l[2]).toContain("done = its job's delete NOTIFYing the submitter");
    expect(l[3]).toBe("p50 1.00× graphile-worker 2 × 1");
    expect(l[5]).toBe("**met** |");
  });

  it("judges cold start by its wall time and the HPO shape by its worst setup", () => {
    const input: SummaryInput = {
      coldStart: { wallMs: 900, peakRssMiB: 120.4, runs: [] },
      hpo: { idealMs: 10_000, runs: { "2x10": [{ makespanMs: 10_150 }], "20x1": [{ makespanMs: 10_500 }] } },
    };
    const lines = summaryTable(input, context);
    expect(row(lines, "cold start")[1]).toBe("0.90 s (120 MiB peak)");
    expect(row(lines, "cold start")[5]).toBe("**met** |");
    const hpo = row(lines, "the paper's HPO shape");
    expect(hpo[1]).toBe("2x10: 1.015×; 20x1: 1.050×");
    expect(hpo[3]).toBe("worst 1.050× ideal");
    expect(hpo[5]).toBe("**not met** |");
    expect(row(lines, "the same, pilots as child processes (`--pilot-processes`) |")[1]).toBe(NOT_MEASURED);
  });

  it("shows the pilot-processes cold start and HPO setups on rows of their own", () => {
    const input: SummaryInput = {
      coldStart: { wallMs: 800, peakRssMiB: 90, pilotProcesses: { wallMs: 1400, peakRssMiB: 120 }, runs: [] },
      hpo: { idealMs: 10_000, runs: { "20x1": [{ makespanMs: 10_100 }], "20x1-processes": [{ makespanMs: 10_600 }] } },
    };
    const lines = summaryTable(input, context);
    expect(row(lines, "cold start")[5]).toBe("**met** |");
    const rows = lines.filter((l) => l.startsWith("| the same, pilots as child processes")).map((l) => l.split(" | "));
    expect(rows.map((r) => r[1])).toEqual(["1.40 s (120 MiB peak)", "20x1-processes: 1.060×"]);
    expect(rows.map((r) => r[5])).toEqual(["**not met** |", "**not met** |"]);
    expect(row(lines, "the paper's HPO shape")[1]).toBe("20x1: 1.010×");
  });

  it("judges the optimiser by GP's and TPE's regret against random search's on every function", () => {
    const cells = (random: number, tpe: number, gp: number) => ({ random: { medianRegret: random }, tpe: { medianRegret: tpe }, gp: { medianRegret: gp } });
    const lines = summaryTable({ optimize: { results: { Branin: cells(0.5, 0.09, 0.0002), "Hartmann-6": cells(1.4, 0.7, 0.12) } } }, context);
    const o = row(lines, "pando/optimize");
    expect(o[1]).toBe("Branin / Hartmann-6: GP 0.0002 / 0.12; TPE 0.09 / 0.7");
    expect(o[2]).toBe("random search 0.5 / 1.4");
    expect(o[3]).toBe("worst GP 0.09×, TPE 0.50× random's");
    expect(o[5]).toBe("**met** |");
    const worse = summaryTable({ optimize: { results: { Branin: cells(0.5, 0.6, 0.0002) } } }, context);
    expect(row(worse, "pando/optimize")[5]).toBe("**not met** |");
  });
});

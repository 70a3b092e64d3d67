import { describe, expect, it } from "vitest";
import { pilotFitProblem, type BatchNode } from "./pilot-fit.js";
import { queueDefinitionSchema } from "./queue-config.js";

const queue = (q: Record<string, unknown>) => queueDefinitionSchema.parse({ name: "cluster", backend: "slurm", maxPilots: 4, ...q });
const node = (n: Partial<BatchNode>): BatchNode => ({ name: "vm", partition: "debug", isDefault: true, cpus: 2, memoryMb: 2000, timeLimitMs: null, ...n });

describe("pilotFitProblem", () => {
  const twoCpus = [node({})];

  it("accepts a queue whose pilot fits a node of its partition", () => {
    expect(pilotFitProblem(queue({ cores: 1, slotsPerPilot: 2 }), twoCpus, "Slurm")).toBeUndefined();
    expect(pilotFitProblem(queue({ cores: 2, slotsPerPilot: 1, memory: { max: 1000 }, walltime: { max: "1h" } }), twoCpus, "Slurm")).toBeUndefined();
  });

  it("refuses a pilot that asks for more CPUs than the largest node has, saying what it asks, the node and what to change", () => {
    const problem = pilotFitProblem(queue({ cores: 1, slotsPerPilot: 4 }), [node({}), node({ name: "small", cpus: 1 })], "Slurm");
    expect(problem).toBe(
      "queue 'cluster' can never start a pilot: each pilot asks Slurm for 4 CPUs (cores 1 × slotsPerPilot 4), but the largest " +
        "node of the default partition 'debug' (vm) has 2 CPUs and 2000 MiB; change the queue so that cores × slotsPerPilot is at " +
        "most 2 (fewer slotsPerPilot, more maxPilots), or name a partition with larger nodes in slurm.partition",
    );
  });

  it("refuses a pilot that asks for more memory than any node has", () => {
    const problem = pilotFitProblem(queue({ cores: 1, slotsPerPilot: 2, memory: { max: "2GiB" } }), twoCpus, "Slurm");
    expect(problem).toContain("4096 MiB of memory (memory.max 2048 MiB × slotsPerPilot 2)");
    expect(problem).toContain("memory.max × slotsPerPilot is at most 2000 MiB");
    expect(problem).not.toContain("cores × slotsPerPilot is at most");
  });

  it("refuses a walltime above the partition's limit", () => {
    const problem = pilotFitProblem(queue({ walltime: { max: "2h" } }), [node({ timeLimitMs: 3_600_000 })], "Slurm");
    expect(problem).toContain("2h of walltime (walltime.max)");
    expect(problem).toContain("allows at most 1h of walltime");
    expect(problem).toContain("walltime.max is at most 1h");
  });

  it("looks at the partition the queue names, not the default one", () => {
    const nodes = [node({}), node({ name: "big", partition: "long", isDefault: false, cpus: 32 })];
    expect(pilotFitProblem(queue({ slotsPerPilot: 16, slurm: { partition: "long" } }), nodes, "Slurm")).toBeUndefined();
    expect(pilotFitProblem(queue({ slotsPerPilot: 16 }), nodes, "Slurm")).toContain("the default partition 'debug'");
    expect(pilotFitProblem(queue({ slotsPerPilot: 16, slurm: { partition: "debug,long" } }), nodes, "Slurm")).toBeUndefined();
  });

  it("refuses a partition Slurm does not have, and a queue naming none where there is no default", () => {
    expect(pilotFitProblem(queue({ slurm: { partition: "gpu" } }), twoCpus, "Slurm")).toBe(
      "queue 'cluster' can never start a pilot: it names partition 'gpu', which Slurm does not have (its partitions: debug); fix slurm.partition",
    );
    expect(pilotFitProblem(queue({}), [node({ isDefault: false })], "Slurm")).toContain("it names no partition and Slurm has no default one");
  });

  it("says so when each need fits some node but no node has them all", () => {
    const nodes = [node({ name: "wide", cpus: 8, memoryMb: 1000 }), node({ name: "deep", cpus: 1, memoryMb: 64_000 })];
    const problem = pilotFitProblem(queue({ cores: 4, memory: { max: 8000 } }), nodes, "Slurm");
    expect(problem).toContain("one node has the CPUs and the memory a pilot asks for together");
  });
});

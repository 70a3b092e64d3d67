import { describe, expect, it } from "vitest";
import { defaultQueue, parseQueuesFile } from "./queue-config.js";

describe("parseQueuesFile", () => {
  it("fills in defaults and converts sizes and durations", () => {
    const [q] = parseQueuesFile(
      JSON.stringify({ queues: [{ name: "big", cores: 8, memory: { max: "16GiB" }, walltime: { min: "1m", max: "2h" } }] }),
      "queues.json",
    );
    expect(q).toMatchObject({
      name: "big",
      backend: "local",
      status: "online",
      cores: 8,
      memory: { max: 16384 },
      walltime: { min: 60_000, max: 7_200_000 },
      maxPilots: 0,
      slotsPerPilot: 1,
      pilotIdle: 60_000,
    });
  });

  it("takes slurm options on slurm queues only", () => {
    const [q] = parseQueuesFile(
      JSON.stringify({ queues: [{ name: "hpc", backend: "slurm", slurm: { partition: "debug", extraArgs: ["--qos=normal"] } }] }),
      "q.json",
    );
    expect(q!.slurm).toEqual({ partition: "debug", extraArgs: ["--qos=normal"] });
    expect(() => parseQueuesFile(JSON.stringify({ queues: [{ name: "x", slurm: {} }] }), "q.json")).toThrow(
      "slurm: applies to slurm queues only; 'x' is local",
    );
  });

  it("says which field is wrong and why", () => {
    const bad = { queues: [{ name: "a", status: "sleepy", walltime: { max: "soon" } }] };
    const err = (() => {
      try {
        parseQueuesFile(JSON.stringify(bad), "q.json");
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(err).toContain("q.json is not a valid queues file");
    expect(err).toContain("queues.0.status");
    expect(err).toContain("queues.0.walltime.max: 'soon' is not a duration");
    expect(() => parseQueuesFile(JSON.stringify({ queues: [{ name: "a" }, { name: "a" }] }), "q.json")).toThrow(
      "queues.1.name: 'a' is declared twice",
    );
  });

  it("refuses unknown keys, windows upside down and broken JSON", () => {
    expect(() => parseQueuesFile(JSON.stringify({ queues: [{ name: "a", corez: 2 }] }), "q.json")).toThrow(/corez/);
    expect(() => parseQueuesFile(JSON.stringify({ queues: [{ name: "a", memory: { min: "4GiB", max: "1GiB" } }] }), "q.json")).toThrow(
      "min must not be more than max",
    );
    expect(() => parseQueuesFile("{", "q.json")).toThrow("q.json is not valid JSON");
    expect(() => parseQueuesFile(JSON.stringify({ queues: [] }), "q.json")).toThrow("declare at least one queue");
  });

  it("has a default queue", () => {
    expect(defaultQueue("local")).toMatchObject({ name: "local", backend: "local", status: "online", cores: 1 });
  });
});

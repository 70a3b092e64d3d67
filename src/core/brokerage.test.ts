import { describe, expect, it } from "vitest";
import { brokerTask, mayTake, type BrokerQueue, type TaskNeeds } from "./brokerage.js";

const queue = (name: string, fields: Partial<BrokerQueue> = {}): BrokerQueue => ({
  name,
  status: "online",
  cores: 1,
  minMemoryMb: 0,
  maxMemoryMb: 0,
  minWalltimeS: 0,
  maxWalltimeS: 0,
  queued: 0,
  running: 0,
  ...fields,
});
const needs = (fields: Partial<TaskNeeds> = {}): TaskNeeds => ({ queues: [], cores: 1, memoryMb: 0, walltimeS: 0, ...fields });

describe("brokerTask", () => {
  it("passes by the queues of a silent site and names the site in the reason", () => {
    const silent = { silentSite: { site: "cern", silenceMs: 300_000 } };
    const queues = [queue("cern/cpu", { ...silent, running: 50 }), queue("desy/cpu", { queued: 10 })];
    expect(brokerTask(needs(), queues)).toEqual({ queue: "desy/cpu" });
    expect(brokerTask(needs({ queues: ["cern/cpu"] }), queues)).toEqual({
      reason: "no queue can take this task: 'cern/cpu': site cern: no agent or pilot heard from for more than 5m",
    });
  });

  it("never sends a task needing 4 cores to a 2-core queue", () => {
    const queues = [queue("small", { cores: 2 }), queue("big", { cores: 8, queued: 100 })];
    expect(brokerTask(needs({ cores: 4 }), queues)).toEqual({ queue: "big" });
    expect(brokerTask(needs({ cores: 4 }), [queue("small", { cores: 2 })])).toEqual({
      reason: "no queue can take this task: 'small' has 2 core(s) per job, the task needs 4",
    });
  });

  it("gives offline queues nothing, even when named", () => {
    const queues = [queue("down", { status: "offline" })];
    expect(brokerTask(needs(), queues)).toEqual({ reason: "no queue can take this task: 'down' is offline" });
    expect(brokerTask(needs({ queues: ["down"] }), queues)).toMatchObject({ reason: expect.stringContaining("offline") });
  });

  it("uses brokeroff and test queues only for tasks that name them", () => {
    const queues = [queue("quiet", { status: "brokeroff" }), queue("trial", { status: "test" })];
    expect(brokerTask(needs(), queues)).toMatchObject({ reason: expect.stringContaining("'quiet' is brokeroff") });
    expect(brokerTask(needs({ queues: ["quiet"] }), queues)).toEqual({ queue: "quiet" });
    expect(brokerTask(needs({ queues: ["trial"] }), queues)).toEqual({ queue: "trial" });
  });

  it("checks the memory and walltime windows", () => {
    const q = queue("himem", { minMemoryMb: 4000, maxMemoryMb: 16000, minWalltimeS: 60, maxWalltimeS: 3600 });
    expect(brokerTask(needs({ memoryMb: 8000, walltimeS: 600 }), [q])).toEqual({ queue: "himem" });
    expect(brokerTask(needs({ memoryMb: 2000 }), [q])).toMatchObject({ reason: expect.stringContaining("at least 4000 MiB") });
    expect(brokerTask(needs({ memoryMb: 32000 }), [q])).toMatchObject({ reason: expect.stringContaining("at most 16000 MiB") });
    expect(brokerTask(needs({ walltimeS: 7200 }), [q])).toMatchObject({ reason: expect.stringContaining("at most 3600 s") });
    expect(brokerTask(needs({ walltimeS: 10 }), [q])).toMatchObject({ reason: expect.stringContaining("at least 60 s") });
    // Unstated needs fit any window.
    expect(brokerTask(needs(), [q])).toEqual({ queue: "himem" });
  });

  it("chooses among fitting queues by load: running per queued job", () => {
    const queues = [queue("busy", { queued: 50, running: 10 }), queue("free", { queued: 0, running: 2 })];
    expect(brokerTask(needs(), queues)).toEqual({ queue: "free" });
    expect(brokerTask(needs({ queues: ["busy"] }), queues)).toEqual({ queue: "busy" });
    expect(brokerTask(needs({ queues: ["busy", "free"] }), queues)).toEqual({ queue: "free" });
  });

  it("names every reason, unknown queues included", () => {
    const r = brokerTask(needs({ queues: ["nope", "small"], cores: 2 }), [queue("small")]);
    expect(r).toEqual({ reason: "no queue can take this task: 'nope' does not exist; 'small' has 1 core(s) per job, the task needs 2" });
  });
});

describe("mayTake", () => {
  it("passes the queues the task names (or any, if it names none) that pass brokerage's filters", () => {
    expect(mayTake(queue("a"), needs({ queues: ["a", "b"] }))).toBe(true);
    expect(mayTake(queue("c"), needs({ queues: ["a", "b"] }))).toBe(false);
    expect(mayTake(queue("c"), needs())).toBe(true);
    expect(mayTake(queue("a", { status: "offline" }), needs({ queues: ["a"] }))).toBe(false);
    expect(mayTake(queue("a", { status: "brokeroff" }), needs())).toBe(false);
    expect(mayTake(queue("a", { cores: 1 }), needs({ cores: 4 }))).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { pendingSummary, taskPendingReason, type QueuePilots, type TaskWait } from "./pending-reason.js";

const BEGIN = "BeginTime: its start time has not come (--begin)";
const task = (t: Partial<TaskWait> = {}): TaskWait => ({ status: "running", brokerageReason: null, queuedJobs: 5, heldJobs: 0, ...t });
const pilots = (p: Partial<QueuePilots> = {}): QueuePilots => ({
  queue: "cluster",
  backend: "slurm",
  maxPilots: 4,
  running: 0,
  starting: 0,
  pending: [],
  submitError: null,
  ...p,
});

describe("taskPendingReason", () => {
  it("names the silent site of a queue whose jobs wait with no pilot", () => {
    const silentSite = "site cern: no agent or pilot heard from for more than 5m";
    expect(taskPendingReason(task(), pilots({ queue: "cern/cpu", silentSite }))).toBe(silentSite);
    expect(taskPendingReason(task({ heldJobs: 1 }), pilots({ silentSite }))).toBeNull();
  });

  it("names the queue, its pilots and the batch system's reason when every pilot of the queue is pending", () => {
    expect(taskPendingReason(task(), pilots({ pending: [{ reason: BEGIN, count: 1 }] }))).toBe(
      `the 1 pilot of queue 'cluster' is pending in Slurm — ${BEGIN}`,
    );
    expect(taskPendingReason(task(), pilots({ pending: [{ reason: "Resources: busy", count: 3 }, { reason: "Priority: later", count: 7 }] }))).toBe(
      "the 10 pilots of queue 'cluster' are pending in Slurm — 7 Priority: later; 3 Resources: busy",
    );
  });

  it("shows none once a job of the task runs, or a pilot of the queue is up or starting: the jobs only wait their turn", () => {
    const held = pilots({ pending: [{ reason: BEGIN, count: 2 }] });
    expect(taskPendingReason(task({ heldJobs: 1 }), held)).toBeNull();
    expect(taskPendingReason(task(), { ...held, running: 1 })).toBeNull();
    expect(taskPendingReason(task(), { ...held, starting: 1 })).toBeNull();
    expect(taskPendingReason(task({ queuedJobs: 0 }), held)).toBeNull();
  });

  it("shows none for a task that has ended", () => {
    for (const status of ["done", "finished", "failed", "cancelled"] as const) {
      expect(taskPendingReason(task({ status }), pilots({ pending: [{ reason: BEGIN, count: 1 }] }))).toBeNull();
    }
  });

  it("gives a pending task brokerage's reason, whatever the pilots", () => {
    expect(taskPendingReason(task({ status: "pending", brokerageReason: "no queue can take this task: …" }), undefined)).toBe(
      "no queue can take this task: …",
    );
  });

  it("says why a queue with no pilot gets none: its last submission failed, or the server starts none for it", () => {
    expect(taskPendingReason(task(), pilots({ submitError: "sbatch failed for queue 'cluster': Invalid account" }))).toBe(
      "queue 'cluster' cannot start pilots: sbatch failed for queue 'cluster': Invalid account",
    );
    expect(taskPendingReason(task(), pilots({ queue: "local", backend: "local", maxPilots: 0 }))).toBe(
      "no pilot serves queue 'local'; the server starts none for it (maxPilots 0): start one with `pando pilot --queue local`",
    );
    // A site's queue: the site's agent starts its pilots, from the site's own queues file.
    expect(taskPendingReason(task(), pilots({ queue: "campus/cpu", backend: "local", maxPilots: 0, site: "campus" }))).toBe(
      "no pilot serves queue 'campus/cpu'; its site 'campus' starts none for it (maxPilots 0): raise the queue's maxPilots in the queues file of the site's agent (pando site --queues-file)",
    );
    // The provisioner is about to start one.
    expect(taskPendingReason(task(), pilots())).toBeNull();
  });
});

describe("pendingSummary", () => {
  it("gives a lone reason as it is, and several with their counts, most first", () => {
    expect(pendingSummary([{ reason: BEGIN, count: 4 }])).toBe(BEGIN);
    expect(pendingSummary([{ reason: null, count: 1 }])).toBe("no reason given");
    expect(pendingSummary([{ reason: "a", count: 1 }, { reason: "b", count: 2 }])).toBe("2 b; 1 a");
  });
});

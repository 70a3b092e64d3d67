import { describe, expect, it } from "vitest";
import type { QueueView } from "../api/queues.js";
import { queuesText } from "./queues-command.js";

const queue = (q: Partial<QueueView>): QueueView => ({
  name: "local",
  backend: "local",
  status: "online",
  cores: 1,
  memoryMb: { min: 0, max: 0 },
  walltimeMs: { min: 0, max: 0 },
  maxPilots: 0,
  slotsPerPilot: 1,
  pilotIdleMs: 60_000,
  queued: 0,
  running: 0,
  pilots: 0,
  startingPilots: 0,
  pendingPilots: 0,
  pendingReason: null,
  site: null,
  siteState: null,
  siteHeartbeatAt: null,
  workers: 0,
  ...q,
});

describe("queuesText", () => {
  it("counts a pilot started by hand as a pilot of its queue, whose pilots the server does not start", () => {
    const [header, row] = queuesText([queue({ pilots: 1 })]).split("\n");
    expect(header).toMatch(/PILOTS\s+STARTING\s+MAX\s+QUEUED/);
    expect(row).toMatch(/^local\s+local\s+online\s+1\s+any\s+any\s+1\s+-\s+by hand\s+0\s+0\s+0\s+-$/);
    expect(row).not.toContain("1/0");
  });

  it("shows the server's pilots still starting, those the batch system holds pending, and why", () => {
    const text = queuesText([
      queue({ pilots: 1 }),
      queue({
        name: "cluster",
        backend: "slurm",
        maxPilots: 4,
        queued: 8,
        startingPilots: 3,
        pendingPilots: 2,
        pendingReason: "BeginTime: its start time has not come (--begin)",
      }),
    ]);
    const lines = text.split("\n");
    expect(lines[2]).toMatch(/^cluster\s+slurm\s+online\s+1\s+any\s+any\s+0\s+3 \(2 pending\)\s+4\s+8\s+0\s+0\s+-$/);
    expect(lines.slice(3)).toEqual(["", "cluster: 2 pilots pending in slurm — BeginTime: its start time has not come (--begin)"]);
  });

  it("shows a site's queue with its site, the site's state, its workers and when its agent was last heard", () => {
    const text = queuesText([queue({ name: "cern/cpu", maxPilots: 2, workers: 2, site: "cern", siteState: "silent", siteHeartbeatAt: 0 })]);
    const lines = text.split("\n");
    expect(lines[1]).toMatch(/^cern\/cpu\s.*\s2\s+cern \(silent\)$/);
    expect(lines[3]).toMatch(/^site cern: silent, agent last heard \d{4}-/);
  });
});

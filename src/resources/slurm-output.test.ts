import { describe, expect, it } from "vitest";
import { explainSlurmReason, parseSinfo, parseSqueue, slurmTimeLimitMs } from "./slurm-output.js";

describe("parseSqueue", () => {
  it("reads each job's state and, while it is pending, Slurm's reason explained", () => {
    const jobs = parseSqueue(["1|PENDING|BeginTime", "4|PENDING|Resources", "2|PENDING|JobHeldUser", "3|RUNNING|None", "7|COMPLETING|None", ""].join("\n"));
    expect(jobs.get("1")).toEqual({ state: "pending", reason: "BeginTime: its start time has not come (--begin)" });
    expect(jobs.get("4")?.reason).toMatch(/^Resources: the nodes it fits are busy/);
    expect(jobs.get("2")?.reason).toMatch(/^JobHeldUser: held by its user/);
    expect(jobs.get("3")).toEqual({ state: "running", reason: null });
    // A job still completing is alive: its pilot may still be reporting.
    expect(jobs.get("7")).toEqual({ state: "running", reason: null });
    expect(jobs.size).toBe(5);
  });

  it("treats requeued and held-for-requeue jobs as pending, and a pending job without a reason as such", () => {
    const jobs = parseSqueue("10|REQUEUE_HOLD|JobHeldAdmin\n11|PENDING|None\n12|REQUEUED|Priority");
    expect(jobs.get("10")).toEqual({ state: "pending", reason: "JobHeldAdmin: held by an administrator" });
    expect(jobs.get("11")).toEqual({ state: "pending", reason: null });
    expect(jobs.get("12")?.state).toBe("pending");
  });

  it("leaves out lines that are not jobs (warnings squeue printed), and keeps array job ids", () => {
    const jobs = parseSqueue("squeue: warning: something\n15_3|RUNNING|None\n  16|PENDING|Priority  ");
    expect([...jobs.keys()]).toEqual(["15_3", "16"]);
  });
});

describe("explainSlurmReason", () => {
  it("says what a known reason means, and what an account or QOS limit is, and keeps unknown ones as they are", () => {
    expect(explainSlurmReason("PartitionTimeLimit")).toContain("walltime.max");
    expect(explainSlurmReason("QOSMaxJobsPerUserLimit")).toBe("QOSMaxJobsPerUserLimit: a limit of its account or QOS holds it (sacctmgr shows them)");
    expect(explainSlurmReason("SomethingNew")).toBe("SomethingNew");
  });
});

describe("slurmTimeLimitMs", () => {
  it("reads Slurm's time forms, and no limit as null", () => {
    expect(slurmTimeLimitMs("infinite")).toBeNull();
    expect(slurmTimeLimitMs("UNLIMITED")).toBeNull();
    expect(slurmTimeLimitMs("30")).toBe(30 * 60_000);
    expect(slurmTimeLimitMs("30:00")).toBe(30 * 60_000);
    expect(slurmTimeLimitMs("1:00:00")).toBe(3_600_000);
    expect(slurmTimeLimitMs("2-00:00:00")).toBe(2 * 86_400_000);
    expect(slurmTimeLimitMs("1-12")).toBe(36 * 3_600_000);
    expect(slurmTimeLimitMs("1-00:30")).toBe(86_400_000 + 30 * 60_000);
  });
});

describe("parseSinfo", () => {
  it("reads one node per line and partition, marking the default partition", () => {
    const nodes = parseSinfo("vm|debug*|2|2000|infinite\nbig1|long|64|256000|7-00:00:00\nbig1|debug*|64|256000|infinite\n\n");
    expect(nodes).toEqual([
      { name: "vm", partition: "debug", isDefault: true, cpus: 2, memoryMb: 2000, timeLimitMs: null },
      { name: "big1", partition: "long", isDefault: false, cpus: 64, memoryMb: 256000, timeLimitMs: 7 * 86_400_000 },
      { name: "big1", partition: "debug", isDefault: true, cpus: 64, memoryMb: 256000, timeLimitMs: null },
    ]);
  });

  it("leaves out lines it cannot read", () => {
    expect(parseSinfo("garbage\nvm|debug*|n/a|2000|infinite")).toEqual([]);
  });
});

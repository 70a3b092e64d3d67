import { describe, expect, it } from "vitest";
import type { WorkflowStatus } from "./states.js";
import {
  driverStopReason,
  resumeRefusal,
  retryRefusal,
  submissionRefusal,
  suspendRefusal,
  type WorkflowState,
} from "./workflow-lifecycle.js";

const wf = (status: WorkflowStatus, over: Partial<WorkflowState> = {}): WorkflowState => ({
  id: 7,
  status,
  mode: "local",
  closed: status !== "running" && status !== "suspended",
  ...over,
});

describe("retryRefusal", () => {
  it("lets a suspended workflow's jobs run again: its resumed driver reads them", () => {
    expect(retryRefusal(wf("suspended"))).toBeUndefined();
  });

  it("refuses an ended workflow, local or remote: nobody would read the results", () => {
    for (const status of ["finished", "subfinished", "failed", "cancelled"] as const) {
      expect(retryRefusal(wf(status))).toMatch(new RegExp(`^workflow 7 has ended \\(${status}\\).*nobody would read`));
      expect(retryRefusal(wf(status, { mode: "remote" }))).toContain("has ended");
    }
  });

  it("refuses a workflow whose driver runs, telling a local one how to retry through a suspension", () => {
    expect(retryRefusal(wf("running"))).toMatch(/its driver is running.*Ctrl-C suspends the workflow.*--resume 7/);
    expect(retryRefusal(wf("running", { mode: "remote" }))).toMatch(/runs remotely and its driver is running/);
  });

  it("refuses a workflow whose body returned while its last results are on their way", () => {
    expect(retryRefusal(wf("running", { closed: true }))).toMatch(/body of workflow 7 has returned/);
  });
});

describe("suspendRefusal", () => {
  it("suspends only a running local workflow whose body runs", () => {
    expect(suspendRefusal(wf("running"))).toBeUndefined();
    expect(suspendRefusal(wf("running", { mode: "remote" }))).toMatch(/runs remotely/);
    expect(suspendRefusal(wf("suspended"))).toMatch(/suspended already/);
    expect(suspendRefusal(wf("cancelled"))).toMatch(/has ended \(cancelled\)/);
    expect(suspendRefusal(wf("running", { closed: true }))).toMatch(/has returned already/);
  });
});

describe("resumeRefusal", () => {
  it("resumes an open local workflow, running or suspended", () => {
    expect(resumeRefusal(wf("running"))).toBeUndefined();
    expect(resumeRefusal(wf("suspended"))).toBeUndefined();
  });

  it("refuses a remote or closed workflow", () => {
    expect(resumeRefusal(wf("running", { mode: "remote" }))).toMatch(/runs remotely/);
    expect(resumeRefusal(wf("cancelled"))).toBe("workflow 7 is closed (cancelled) and cannot be resumed; start a new run instead");
  });
});

describe("driverStopReason", () => {
  it("lets the driver of a running open workflow go on", () => {
    expect(driverStopReason(7, { status: "running", open: true })).toBeUndefined();
  });

  it("stops the driver of a killed, suspended or otherwise ended workflow, saying which", () => {
    expect(driverStopReason(7, { status: "cancelled", open: false })).toBe("workflow 7 was killed");
    expect(driverStopReason(7, { status: "suspended", open: true, suspendReason: "no heartbeat for 60 s" })).toMatch(
      /^workflow 7 was suspended: no heartbeat for 60 s\. Resume it with .*--resume 7$/,
    );
    expect(driverStopReason(7, { status: "finished", open: false })).toMatch(/closed \(finished\) by another run/);
  });
});

describe("submissionRefusal", () => {
  it("says why a workflow takes no task: killed, suspended, or its body returned", () => {
    expect(submissionRefusal(7, "cancelled", true)).toBe("workflow 7 was killed; it takes no new tasks");
    expect(submissionRefusal(7, "suspended", false)).toMatch(/^workflow 7 is suspended; .*--resume 7$/);
    expect(submissionRefusal(7, "running", true)).toMatch(/body of workflow 7 has returned/);
    expect(submissionRefusal(7, "finished", true)).toBe("workflow 7 is finished; tasks can only be added while it runs");
  });
});

import { describe, expect, it } from "vitest";
import { reportRefusal, type OwnedJob } from "./report-ownership.js";

const job: OwnedJob = { taskId: 5, attempt: 2, pilotId: 7 };

describe("reportRefusal: who may report an attempt", () => {
  it("accepts the pilot that holds the job's current attempt", () => {
    expect(reportRefusal(job, { attempt: 2 }, { pilotId: 7 })).toBeUndefined();
    expect(reportRefusal(job, { attempt: 2 }, { pilotId: 7, taskId: 5 })).toBeUndefined();
  });

  it("refuses a message signed for one task that names a job of another", () => {
    expect(reportRefusal(job, { attempt: 2 }, { pilotId: 7, taskId: 6 })).toBe("other_task");
  });

  it("refuses an update of an attempt that is no longer the job's current one, or not yet", () => {
    expect(reportRefusal(job, { attempt: 1 }, { pilotId: 7 })).toBe("stale_attempt");
    expect(reportRefusal(job, { attempt: 3 }, { pilotId: 7 })).toBe("stale_attempt");
  });

  it("refuses another pilot's attempt, and any attempt of a job no pilot holds", () => {
    expect(reportRefusal(job, { attempt: 2 }, { pilotId: 8 })).toBe("other_pilot");
    expect(reportRefusal({ ...job, pilotId: null }, { attempt: 2 }, { pilotId: 7 })).toBe("other_pilot");
  });

  it("refuses an update of a job that does not exist", () => {
    expect(reportRefusal(undefined, { attempt: 1 }, { pilotId: 7 })).toBe("unknown_job");
  });

  it("checks the task before anything else: a forged message learns nothing of other tasks' attempts", () => {
    expect(reportRefusal(job, { attempt: 9 }, { pilotId: 8, taskId: 6 })).toBe("other_task");
  });
});

import { describe, expect, it } from "vitest";
import { checkHeartbeat, lostIfSentBefore } from "./heartbeat-check.js";

describe("checkHeartbeat", () => {
  const held = {
    refs: [
      { jobId: 1, attempt: 1, sentAt: 100 },
      { jobId: 2, attempt: 3, sentAt: 100 },
      { jobId: 3, attempt: 1, sentAt: 900 },
    ],
    commands: [
      { kind: "kill" as const, jobId: 2, attempt: 3 },
      { kind: "kill" as const, jobId: 1, attempt: 1 },
    ],
  };

  it("finds the attempts sent long enough ago that the pilot does not hold, and leaves them out of its answer", () => {
    const check = checkHeartbeat(held, [{ jobId: 1, attempt: 1 }], 500);
    expect(check.missing).toEqual([{ jobId: 2, attempt: 3 }]);
    // Job 3 was sent too recently to be missed: the pilot may not have it yet.
    expect(check.held).toEqual([
      { jobId: 1, attempt: 1 },
      { jobId: 3, attempt: 1 },
    ]);
    expect(check.commands).toEqual([{ kind: "kill", jobId: 1, attempt: 1 }]);
  });

  it("counts another attempt of the same job as not held", () => {
    expect(checkHeartbeat(held, [{ jobId: 1, attempt: 2 }, { jobId: 2, attempt: 3 }], 500).missing).toEqual([{ jobId: 1, attempt: 1 }]);
  });

  it("misses nothing when the pilot holds everything", () => {
    const all = held.refs.map(({ jobId, attempt }) => ({ jobId, attempt }));
    expect(checkHeartbeat(held, all, 10_000)).toEqual({ missing: [], held: all, commands: held.commands });
  });
});

describe("lostIfSentBefore", () => {
  it("is the grace alone when the pilot does not say which answer it had taken last", () => {
    expect(lostIfSentBefore(10_000, 3000, undefined)).toBe(7000);
  });

  it("never counts a job sent after the pilot's last answer as lost, however late its heartbeat arrives", () => {
    // The answer carried the jobs sent in its own millisecond too.
    expect(lostIfSentBefore(10_000, 3000, 2000)).toBe(2001);
    // Before its first answer, a pilot has received nothing.
    expect(lostIfSentBefore(10_000, 3000, 0)).toBe(1);
  });

  it("keeps the grace for an answer taken a moment ago", () => {
    expect(lostIfSentBefore(10_000, 3000, 9990)).toBe(7000);
  });
});

import { describe, expect, it } from "vitest";
import { endedAttemptOnRow, needsHistoryRow } from "./attempt-history.js";
import type { EndedAttempt, FinalOutcome } from "./attempt-transition.js";

const error = { code: "user_error" as const, message: "boom" };
const ended: EndedAttempt = { attempt: 1, state: "failed", pilotId: 7, sentAt: 1, startedAt: 2, endedAt: 3, error, stdout: null, stderr: null };
const final: FinalOutcome = { state: "failed", result: null, error, startedAt: 2, endedAt: 3 };

describe("needsHistoryRow", () => {
  it("leaves to the job's row the attempt that made its job final and says nothing more", () => {
    expect(needsHistoryRow({ sentAt: 1 }, ended, final)).toBe(false);
  });

  it("keeps a row for an attempt that did not end its job, left output, or differs from what the row keeps", () => {
    expect(needsHistoryRow({ sentAt: 1 }, ended, null)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, { ...ended, stdout: "out" }, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, { ...ended, stderr: "" }, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: null }, ended, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, { ...ended, error: null }, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, { ...ended, error: { ...error } }, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, { ...ended, state: "cancelled" }, final)).toBe(true);
    expect(needsHistoryRow({ sentAt: 1 }, ended, { ...final, endedAt: 4 })).toBe(true);
  });
});

describe("endedAttemptOnRow", () => {
  const row = { state: "finished" as const, attemptNr: 1, pilotId: 7, sentAt: 1, startedAt: 2, endedAt: 3, killRequested: false };

  it("reads a final job's row as its last attempt once that attempt was sent and ended", () => {
    expect(endedAttemptOnRow(row)).toBe("finished");
    expect(endedAttemptOnRow({ ...row, state: "cancelled" })).toBe("cancelled");
  });

  it("does not while the job is open, was never sent, closed unrun, or waits for a kill's confirmation", () => {
    expect(endedAttemptOnRow({ ...row, state: "running" })).toBeNull();
    expect(endedAttemptOnRow({ ...row, attemptNr: 0, sentAt: null })).toBeNull();
    expect(endedAttemptOnRow({ ...row, state: "closed" })).toBeNull();
    expect(endedAttemptOnRow({ ...row, state: "cancelled", killRequested: true })).toBeNull();
  });
});

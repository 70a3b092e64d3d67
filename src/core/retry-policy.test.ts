import { describe, expect, it } from "vitest";
import type { ErrorCode } from "./errors.js";
import { DEFAULT_MAX_ATTEMPTS, decideAfterAttempt, type RetryCounters } from "./retry-policy.js";

const fresh: RetryCounters = { failures: 0, systemFailures: 0, maxAttempts: 3, maxSystemRetries: 2 };

/** Feeds failures of one code to a job until it is final; returns the decisions in order. */
function runUntilFinal(code: ErrorCode, start: RetryCounters = fresh): string[] {
  let job = start;
  const steps: string[] = [];
  for (let i = 0; i < 20; i++) {
    const d = decideAfterAttempt(job, { ok: false, code });
    steps.push(d.next);
    if (d.next !== "activated") break;
    job = { ...job, failures: d.failures, systemFailures: d.systemFailures };
  }
  return steps;
}

describe("decideAfterAttempt", () => {
  it("defaults to 3 attempts", () => {
    expect(DEFAULT_MAX_ATTEMPTS).toBe(3);
  });

  it("finishes a successful attempt without touching the counters", () => {
    const job = { ...fresh, failures: 2, systemFailures: 1 };
    expect(decideAfterAttempt(job, { ok: true })).toEqual({ next: "finished", failures: 2, systemFailures: 1 });
  });

  it("spends user attempts: with maxAttempts 3, two failures retry and the third fails", () => {
    const first = decideAfterAttempt(fresh, { ok: false, code: "user_error" });
    expect(first).toEqual({ next: "activated", failures: 1, systemFailures: 0 });
    const second = decideAfterAttempt({ ...fresh, failures: first.failures }, { ok: false, code: "user_error" });
    expect(second).toEqual({ next: "activated", failures: 2, systemFailures: 0 });
    const third = decideAfterAttempt({ ...fresh, failures: second.failures }, { ok: false, code: "user_error" });
    expect(third).toEqual({ next: "failed", failures: 3, systemFailures: 0 });
  });

  it("treats an executor crash as a user attempt", () => {
    expect(runUntilFinal("executor_crash")).toEqual(["activated", "activated", "failed"]);
  });

  it("fails at once with maxAttempts 1", () => {
    expect(runUntilFinal("user_error", { ...fresh, maxAttempts: 1 })).toEqual(["failed"]);
  });

  it.each<ErrorCode>(["lost_heartbeat", "pilot_exited", "lost_dispatch", "bundle_unavailable"])(
    "retries system error %s without spending user attempts",
    (code) => {
      const job = { ...fresh, failures: 2 }; // one user attempt left
      const d = decideAfterAttempt(job, { ok: false, code });
      expect(d).toEqual({ next: "activated", failures: 2, systemFailures: 1 });
    },
  );

  it.each<ErrorCode>(["lost_heartbeat", "pilot_exited", "lost_dispatch", "bundle_unavailable"])(
    "bounds system error %s by maxSystemRetries",
    (code) => {
      // maxSystemRetries 2: two retries, then the third system failure is final.
      expect(runUntilFinal(code)).toEqual(["activated", "activated", "failed"]);
      const last = decideAfterAttempt({ ...fresh, systemFailures: 2 }, { ok: false, code });
      expect(last).toEqual({ next: "failed", failures: 0, systemFailures: 3 });
    },
  );

  it("fails a system error at once when no system retries are allowed", () => {
    expect(runUntilFinal("lost_heartbeat", { ...fresh, maxSystemRetries: 0 })).toEqual(["failed"]);
  });

  it("keeps user attempts for after a run of system failures", () => {
    const afterSystem = { ...fresh, systemFailures: 2 };
    expect(runUntilFinal("user_error", afterSystem)).toEqual(["activated", "activated", "failed"]);
  });

  it.each<ErrorCode>([
    "unknown_work",
    "payload_too_large",
    "unserialisable_result",
    "unrecordable_report",
    "bad_arguments",
    "bundle_load_failed",
    "killed",
  ])("fails non-retryable %s at once, with attempts left", (code) => {
    expect(decideAfterAttempt(fresh, { ok: false, code })).toEqual({ next: "failed", failures: 1, systemFailures: 0 });
  });
});

describe("decideAfterAttempt with failures declared not retryable", () => {
  it("fails the job after the attempt it is in, whatever maxAttempts says", () => {
    const job = { ...fresh, maxAttempts: 10 };
    for (const code of ["user_error", "command_failed"] as const) {
      expect(decideAfterAttempt(job, { ok: false, code, nonRetryable: true })).toEqual({ next: "failed", failures: 1, systemFailures: 0 });
    }
  });

  it("retries the same failure when it is not so declared", () => {
    expect(decideAfterAttempt(fresh, { ok: false, code: "command_failed", nonRetryable: false }).next).toBe("activated");
    expect(decideAfterAttempt(fresh, { ok: false, code: "command_failed" }).next).toBe("activated");
  });

  it("still retries a system failure: a lost pilot is never the job's doing", () => {
    expect(decideAfterAttempt(fresh, { ok: false, code: "lost_heartbeat", nonRetryable: true })).toEqual({
      next: "activated",
      failures: 0,
      systemFailures: 1,
    });
  });

  it.each<ErrorCode>(["bad_command", "unreadable_result"])("fails a command's %s at once", (code) => {
    expect(decideAfterAttempt(fresh, { ok: false, code }).next).toBe("failed");
  });
});

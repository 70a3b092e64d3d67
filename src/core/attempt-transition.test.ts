import { describe, expect, it } from "vitest";
import { transitionAttempt, type AttemptJob, type AttemptReport, type TransitionContext } from "./attempt-transition.js";
import { markNonRetryable, type ErrorInfo } from "./errors.js";

const PILOT = 7;
const NOW = 10_000;
const ctx: TransitionContext = { reporter: PILOT, now: NOW, maxSystemRetries: 2 };

/** A job whose second attempt runs on PILOT, with one failure spent of three attempts. */
const running: AttemptJob = {
  state: "running",
  attempt: 2,
  pilotId: PILOT,
  sentAt: 1_000,
  startedAt: 1_100,
  killRequested: false,
  failures: 1,
  systemFailures: 0,
  maxAttempts: 3,
};
const report = (r: Partial<AttemptReport> & Pick<AttemptReport, "state">): AttemptReport => ({ attempt: 2, endedAt: 2_000, ...r });
const userError: ErrorInfo = { code: "user_error", message: "boom" };
const lostHeartbeat: ErrorInfo = { code: "lost_heartbeat", message: "the pilot sent no heartbeat" };

describe("transitionAttempt: whose report counts", () => {
  it("ignores a late report of a superseded attempt", () => {
    expect(transitionAttempt(running, report({ attempt: 1, state: "finished", result: "1" }), ctx)).toEqual({ accepted: false });
  });

  it("ignores a report from a pilot that does not hold the attempt", () => {
    expect(transitionAttempt(running, report({ state: "finished" }), { ...ctx, reporter: PILOT + 1 })).toEqual({ accepted: false });
  });

  it("lets the server end the attempt of any pilot (a lost pilot's)", () => {
    const t = transitionAttempt(running, report({ state: "failed", error: lostHeartbeat }), { ...ctx, reporter: null });
    expect(t).toMatchObject({ accepted: true, write: "job", requeued: true });
  });

  it("ignores a report of an attempt that ended already: a repeated final report changes nothing", () => {
    const first = transitionAttempt(running, report({ state: "finished", result: "42" }), ctx);
    if (!first.accepted) throw new Error("the first report counts");
    expect(transitionAttempt(first.job, report({ state: "finished", result: "42" }), ctx)).toEqual({ accepted: false });
  });

  it("ignores a report for a job that waits in its queue with no attempt to end", () => {
    const queued: AttemptJob = { ...running, state: "activated" };
    expect(transitionAttempt(queued, report({ state: "failed", error: userError }), ctx)).toEqual({ accepted: false });
  });
});

describe("transitionAttempt: an attempt that runs", () => {
  it("records that a sent attempt runs, and when it started", () => {
    const sent: AttemptJob = { ...running, state: "sent", startedAt: null };
    expect(transitionAttempt(sent, report({ state: "running", startedAt: 1_500 }), ctx)).toEqual({
      accepted: true,
      job: { ...sent, state: "running", startedAt: 1_500 },
      write: "job",
      ended: null,
      final: null,
      requeued: false,
    });
  });

  it("accepts a repeated running report, which changes nothing but what it says", () => {
    const t = transitionAttempt(running, report({ state: "running" }), ctx);
    expect(t).toMatchObject({ accepted: true, job: running, write: "job", ended: null, final: null });
  });

  it("keeps a killed attempt that reports it runs killed, and writes nothing", () => {
    const killed: AttemptJob = { ...running, state: "cancelled", killRequested: true };
    const t = transitionAttempt(killed, report({ state: "running", startedAt: 1_200 }), ctx);
    expect(t).toMatchObject({ accepted: true, write: "none", job: { state: "cancelled", killRequested: true }, ended: null, final: null });
  });
});

describe("transitionAttempt: an attempt that ended", () => {
  it("finishes the job with its result, and the attempt goes to the history", () => {
    const t = transitionAttempt(running, report({ state: "finished", result: "42", stdout: "out", stderr: "err" }), ctx);
    expect(t).toEqual({
      accepted: true,
      job: { ...running, state: "finished" },
      write: "final",
      ended: {
        attempt: 2,
        state: "finished",
        pilotId: PILOT,
        sentAt: 1_000,
        startedAt: 1_100,
        endedAt: 2_000,
        error: null,
        stdout: "out",
        stderr: "err",
      },
      final: { state: "finished", result: "42", error: null, startedAt: 1_100, endedAt: 2_000 },
      requeued: false,
    });
  });

  it("ends the attempt now when the report says no end time, and a finished job without result has null", () => {
    const t = transitionAttempt(running, { attempt: 2, state: "finished" }, ctx);
    expect(t).toMatchObject({ final: { state: "finished", result: null, endedAt: NOW }, ended: { endedAt: NOW } });
  });

  it("queues the job again after a failure while it has attempts left", () => {
    const t = transitionAttempt(running, report({ state: "failed", error: userError }), ctx);
    expect(t).toMatchObject({
      accepted: true,
      job: { state: "activated", failures: 2, systemFailures: 0 },
      write: "job",
      ended: { state: "failed", error: userError },
      final: null,
      requeued: true,
    });
  });

  it("fails the job when its last attempt failed", () => {
    const last: AttemptJob = { ...running, failures: 2 };
    const t = transitionAttempt(last, report({ state: "failed", error: userError, result: "ignored" }), ctx);
    expect(t).toMatchObject({
      job: { state: "failed", failures: 3 },
      write: "final",
      final: { state: "failed", result: null, error: userError, startedAt: 1_100, endedAt: 2_000 },
      requeued: false,
    });
  });

  it("fails the job at once on a failure declared not retryable, whatever attempts are left", () => {
    const error = markNonRetryable(userError, "exit code 3 is listed as not retryable");
    const t = transitionAttempt({ ...running, failures: 0 }, report({ state: "failed", error }), ctx);
    expect(t).toMatchObject({ write: "final", final: { state: "failed", error } });
  });

  it("fails the job at once on an error code that is never retried", () => {
    const t = transitionAttempt(running, report({ state: "failed", error: { code: "unknown_work", message: "no such work" } }), ctx);
    expect(t).toMatchObject({ write: "final", final: { state: "failed" } });
  });

  it("retries a system failure without spending the job's attempts, while system retries are left", () => {
    const spent: AttemptJob = { ...running, failures: 2, systemFailures: 1 };
    const t = transitionAttempt(spent, report({ state: "failed", error: lostHeartbeat }), ctx);
    expect(t).toMatchObject({ job: { state: "activated", failures: 2, systemFailures: 2 }, write: "job", requeued: true });
  });

  it("retries a system failure even when it says not retryable (the job did not cause it)", () => {
    const error = markNonRetryable(lostHeartbeat, "said so");
    expect(transitionAttempt(running, report({ state: "failed", error }), ctx)).toMatchObject({ requeued: true });
  });

  it("fails the job on a system failure when no system retry is left", () => {
    const spent: AttemptJob = { ...running, systemFailures: 2 };
    const t = transitionAttempt(spent, report({ state: "failed", error: lostHeartbeat }), ctx);
    expect(t).toMatchObject({ job: { state: "failed", systemFailures: 3 }, write: "final", final: { state: "failed", error: lostHeartbeat } });
  });

  it("cancels the job when its pilot cancelled the attempt, with a default error when it gave none", () => {
    const t = transitionAttempt(running, report({ state: "cancelled" }), ctx);
    expect(t).toMatchObject({
      job: { state: "cancelled" },
      write: "final",
      ended: { state: "cancelled", error: null },
      final: { state: "cancelled", error: { code: "killed", message: "the attempt was cancelled" } },
    });
  });

  it("records the start a final report brings", () => {
    const sent: AttemptJob = { ...running, state: "sent", startedAt: null };
    const t = transitionAttempt(sent, report({ state: "finished", startedAt: 1_300 }), ctx);
    expect(t).toMatchObject({ ended: { startedAt: 1_300 }, final: { startedAt: 1_300 } });
  });
});

describe("transitionAttempt: kill confirmation", () => {
  const killed: AttemptJob = { ...running, state: "cancelled", killRequested: true };

  it("ends a killed attempt when its pilot reports it, and the job stays cancelled", () => {
    const t = transitionAttempt(killed, report({ state: "cancelled", error: { code: "killed", message: "killed" } }), ctx);
    expect(t).toEqual({
      accepted: true,
      job: { ...killed, killRequested: false },
      write: "job",
      ended: {
        attempt: 2,
        state: "cancelled",
        pilotId: PILOT,
        sentAt: 1_000,
        startedAt: 1_100,
        endedAt: 2_000,
        error: { code: "killed", message: "killed" },
        stdout: null,
        stderr: null,
      },
      final: null,
      requeued: false,
    });
  });

  it("takes a late success of a killed attempt as the confirmation: the job stays cancelled", () => {
    const t = transitionAttempt(killed, report({ state: "finished", result: "42" }), ctx);
    expect(t).toMatchObject({ write: "job", job: { state: "cancelled", killRequested: false }, ended: { state: "finished" }, final: null });
  });

  it("lets a job queued again after its kill (a retry or a resume) go to a pilot once the kill is confirmed", () => {
    const queued: AttemptJob = { ...killed, state: "activated" };
    const t = transitionAttempt(queued, report({ state: "cancelled" }), ctx);
    expect(t).toMatchObject({ write: "job", job: { state: "activated", killRequested: false }, final: null, requeued: true });
  });

  it("ends an attempt stopped by a suspension the same way", () => {
    const suspended: AttemptJob = { ...killed };
    const t = transitionAttempt(suspended, report({ state: "failed", error: userError }), ctx);
    expect(t).toMatchObject({ write: "job", job: { state: "cancelled", killRequested: false, failures: 1 }, ended: { state: "failed" } });
  });

  it("ignores a second confirmation", () => {
    const first = transitionAttempt(killed, report({ state: "cancelled" }), ctx);
    if (!first.accepted) throw new Error("the confirmation counts");
    expect(transitionAttempt(first.job, report({ state: "cancelled" }), ctx)).toEqual({ accepted: false });
  });
});

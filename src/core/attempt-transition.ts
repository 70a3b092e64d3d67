// What one report does to a job's current attempt (PanDA's job state machine, per attempt): the store loads
// the job rows, runs this for each report in order, and writes what it decided.
import { type ErrorInfo, killedError } from "./errors.js";
import { decideAfterAttempt } from "./retry-policy.js";
import type { AttemptUpdate } from "./dispatch-records.js";
import { CLAIMED_JOB_STATES, type EndedAttemptState, type FinalJobState, type JobState } from "./states.js";

/** A job and its current attempt, as its row holds them. */
export interface AttemptJob {
  state: JobState;
  /** Number of the current attempt (0 before the first was sent). */
  attempt: number;
  /** Pilot of the current (or last) attempt. */
  pilotId: number | null;
  sentAt: number | null;
  startedAt: number | null;
  /** A kill of the current attempt waits for its pilot to confirm. */
  killRequested: boolean;
  failures: number;
  systemFailures: number;
  maxAttempts: number;
}

/** What a pilot, or the server for a pilot it lost, reports of one attempt. */
export type AttemptReport = Omit<AttemptUpdate, "jobId">;

export interface TransitionContext {
  /** The pilot that reports; null for the server's own reports (attempts of lost or ended pilots). */
  reporter: number | null;
  now: number;
  /** Retries after system failures, on top of the job's maxAttempts. */
  maxSystemRetries: number;
}

/** An attempt that ended, as the attempts history keeps it. */
export interface EndedAttempt {
  attempt: number;
  state: EndedAttemptState;
  pilotId: number | null;
  sentAt: number;
  startedAt: number | null;
  endedAt: number;
  error: ErrorInfo | null;
  stdout: string | null;
  stderr: string | null;
}

/** The final state a job reached. */
export interface FinalOutcome {
  state: FinalJobState;
  result: string | null;
  error: ErrorInfo | null;
  startedAt: number | null;
  endedAt: number;
}

export type AttemptTransition =
  /** Not the job's current attempt on the pilot that holds it, or one that ended already: nothing changes. */
  | { accepted: false }
  | {
      accepted: true;
      /** The job after the report. */
      job: AttemptJob;
      /**
       * What the store writes: nothing, the job's attempt fields (state, counters, start, kill flag), or
       * its final state.
       */
      write: "none" | "job" | "final";
      /** The attempt ended: its entry in the attempts history. */
      ended: EndedAttempt | null;
      final: FinalOutcome | null;
      /** The job waits in its queue for a pilot now (a retry, or a killed attempt's pilot let it go). */
      requeued: boolean;
    };

const CLAIMED: ReadonlySet<JobState> = new Set(CLAIMED_JOB_STATES);

/** The error a cancelled attempt ends with when its pilot gave none. */
const CANCELLED: ErrorInfo = killedError("the attempt was cancelled");

/**
 * Decides what a report does to a job. A report counts only for the job's current attempt on the pilot
 * that holds it (the server may end any pilot's), so a late report of a superseded attempt never
 * overwrites a newer one. A pilot's report of an attempt a user killed confirms the kill: the job keeps
 * its state (cancelled, or queued again), only the attempt ends. Otherwise an ended attempt makes the job
 * final or queues it again, as the retry policy decides.
 */
export function transitionAttempt(job: AttemptJob, report: AttemptReport, ctx: TransitionContext): AttemptTransition {
  const current = job.attempt === report.attempt && (ctx.reporter === null || job.pilotId === ctx.reporter);
  if (!current) return { accepted: false };
  const live = CLAIMED.has(job.state);
  if (!live && !job.killRequested) return { accepted: false };
  const next: AttemptJob = { ...job, startedAt: report.startedAt ?? job.startedAt };
  if (report.state === "running") {
    // A killed attempt that reports it runs stays killed: its pilot is told again with its next request.
    if (!live) return { accepted: true, job: next, write: "none", ended: null, final: null, requeued: false };
    return { accepted: true, job: { ...next, state: "running" }, write: "job", ended: null, final: null, requeued: false };
  }
  const endedAt = report.endedAt ?? ctx.now;
  const ended: EndedAttempt = {
    attempt: job.attempt,
    state: report.state,
    pilotId: job.pilotId,
    sentAt: job.sentAt ?? ctx.now,
    startedAt: next.startedAt,
    endedAt,
    error: report.error ?? null,
    stdout: report.stdout ?? null,
    stderr: report.stderr ?? null,
  };
  if (!live) {
    // The job is cancelled already, or queued again (a retry or a resume right after the kill): only this
    // attempt ends, and a queued job is free to go to a pilot now.
    const requeued = job.state === "activated";
    return { accepted: true, job: { ...next, killRequested: false }, write: "job", ended, final: null, requeued };
  }
  const error = report.state === "finished" ? null : (report.error ?? CANCELLED);
  const decision = decideAfterAttempt(
    { failures: job.failures, systemFailures: job.systemFailures, maxAttempts: job.maxAttempts, maxSystemRetries: ctx.maxSystemRetries },
    error === null ? { ok: true } : { ok: false, code: error.code, nonRetryable: error.nonRetryable !== undefined },
  );
  const counted: AttemptJob = { ...next, failures: decision.failures, systemFailures: decision.systemFailures };
  if (decision.next === "activated") {
    return { accepted: true, job: { ...counted, state: "activated" }, write: "job", ended, final: null, requeued: true };
  }
  const final: FinalOutcome = {
    state: report.state === "cancelled" ? "cancelled" : decision.next,
    result: report.state === "finished" ? (report.result ?? null) : null,
    error,
    startedAt: next.startedAt,
    endedAt,
  };
  return { accepted: true, job: { ...counted, state: final.state }, write: "final", ended, final, requeued: false };
}

import { ERROR_CODES, type ErrorCode } from "./errors.js";

/** Attempts of a job when its work does not say (PanDA: maxAttempt). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/** Retry counters of one job, like PanDA's attemptNr / failedAttempt on an input file. */
export interface RetryCounters {
  /** Failures caused by the user's code or data; bounded by maxAttempts. */
  failures: number;
  /** Failures of the system (lost pilot…); bounded separately so they never spend the user's attempts. */
  systemFailures: number;
  maxAttempts: number;
  maxSystemRetries: number;
}

/**
 * How an attempt ended. `nonRetryable`: the job's own code declared its failure not retryable (honoured for
 * the job's own failures; a system failure is never the job's doing and stays retried).
 */
export type AttemptOutcome = { ok: true } | { ok: false; code: ErrorCode; nonRetryable?: boolean };

export interface RetryDecision {
  next: "finished" | "failed" | "activated";
  failures: number;
  systemFailures: number;
}

/** What happens to a job after one of its attempts ended. */
export function decideAfterAttempt(job: RetryCounters, outcome: AttemptOutcome): RetryDecision {
  if (outcome.ok) return { next: "finished", failures: job.failures, systemFailures: job.systemFailures };
  const kind = ERROR_CODES[outcome.code];
  if (kind.system) {
    const systemFailures = job.systemFailures + 1;
    const next = kind.retryable && systemFailures <= job.maxSystemRetries ? "activated" : "failed";
    return { next, failures: job.failures, systemFailures };
  }
  const failures = job.failures + 1;
  const next = kind.retryable && !outcome.nonRetryable && failures < job.maxAttempts ? "activated" : "failed";
  return { next, failures, systemFailures: job.systemFailures };
}

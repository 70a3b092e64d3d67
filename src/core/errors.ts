// Error codes of failed attempts and how the retry policy treats them, in the spirit of PanDA's
// per-component error codes: a user sees one stable code per cause.

export const ERROR_CODES = {
  user_error: { retryable: true, system: false, summary: "the function threw an error" },
  command_failed: { retryable: true, system: false, summary: "the command of a command work exited with a non-zero code, was killed by a signal, or could not start" },
  bad_command: { retryable: false, system: false, summary: "the command work's function did not return a valid command" },
  unreadable_result: { retryable: false, system: false, summary: "the command's result (its result file or last line of output) is not JSON" },
  executor_crash: { retryable: true, system: false, summary: "the executor process died while running the job" },
  lost_heartbeat: { retryable: true, system: true, summary: "the pilot stopped sending heartbeats" },
  lost_dispatch: { retryable: true, system: true, summary: "the pilot never confirmed receiving the job" },
  pilot_exited: { retryable: true, system: true, summary: "the pilot exited while holding the job" },
  pilot_gone: { retryable: true, system: true, summary: "the pilot's batch job ended (cancelled, preempted or failed)" },
  bundle_unavailable: { retryable: true, system: true, summary: "the pilot could not fetch the code bundle" },
  bad_project_archive: { retryable: false, system: false, summary: "the pilot refused the workflow's project archive (a path leaving it, a link, a device, over its limits)" },
  bundle_load_failed: { retryable: false, system: false, summary: "importing the code bundle failed" },
  unknown_work: { retryable: false, system: false, summary: "no work of that name is registered in the bundle" },
  bad_arguments: { retryable: false, system: false, summary: "the job's arguments could not be decoded" },
  unserialisable_result: { retryable: false, system: false, summary: "the result cannot be serialised" },
  payload_too_large: { retryable: false, system: false, summary: "the result is over the payload limit" },
  unrecordable_report: {
    retryable: false,
    system: false,
    summary: "the pilot's report of the attempt (its result, error or logs) could not be recorded by the server",
  },
  killed: { retryable: false, system: false, summary: "killed by a user" },
  suspended: {
    retryable: false,
    system: false,
    summary: "stopped when its workflow was suspended; it runs again when the driver is resumed",
  },
  context_failed: { retryable: false, system: false, summary: "the job's initEnv or container failed to start" },
  container_unavailable: { retryable: false, system: false, summary: "the job needs a container runtime its pilot lacks" },
  walltime_exceeded: { retryable: false, system: false, summary: "the job ran longer than its walltime" },
  out_of_memory: { retryable: false, system: false, summary: "the job used more memory than it asked for" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error of a failed attempt or job as stored and sent to drivers. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  name?: string;
  stack?: string;
  /** A command's exit code, when it exited with one. */
  exitCode?: number;
  /** The signal that killed a command (SIGKILL, SIGSEGV…). */
  signal?: string;
  /**
   * Set when the failure was declared not retryable (a NonRetryableError, an exit code the work lists):
   * why. The job then fails after this attempt whatever its maxAttempts.
   */
  nonRetryable?: string;
}

/** Declares a failure not retryable, saying why in the message too, so that the job's error tells it. */
export function markNonRetryable(info: ErrorInfo, reason: string): ErrorInfo {
  return { ...info, message: `${info.message} (not retried: ${reason})`, nonRetryable: reason };
}

/** The message of a thrown value: an Error's message, anything else as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What an ErrorInfo keeps of a thrown value: an Error's name, message and stack, anything else as text. */
export function errorFields(err: unknown): Pick<ErrorInfo, "name" | "message" | "stack"> {
  return err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { message: String(err) };
}

/**
 * The error of work that was killed or cancelled before it ended: by default, what a pilot reports for an
 * attempt a user killed; `message` says otherwise why (the task was killed, the call was cancelled…).
 */
export function killedError(message = "killed by a user"): ErrorInfo {
  return { code: "killed", message };
}

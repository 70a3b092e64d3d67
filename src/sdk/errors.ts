import type { ErrorInfo } from "../core/errors.js";
import type { WorkflowStatus } from "../core/states.js";

/** A job that failed after its last attempt: the remote error's message, stack and where it ran. */
export class JobError extends Error {
  readonly code: ErrorInfo["code"];
  readonly jobId: number | null;
  readonly taskId: number | null;
  readonly key: string;
  readonly index: number;
  readonly attempts: number;
  readonly remoteName: string | undefined;
  readonly remoteStack: string | undefined;
  /** A command work's exit code, when its command exited with one. */
  readonly exitCode: number | undefined;
  /** The signal that killed a command work's command. */
  readonly signal: string | undefined;
  /** Why the job was not retried, when its failure was declared not retryable. */
  readonly nonRetryable: string | undefined;

  constructor(
    info: ErrorInfo,
    job: { jobId: number | null; taskId: number | null; key: string; index: number; attempts: number },
  ) {
    super(info.message);
    this.name = "JobError";
    this.code = info.code;
    this.jobId = job.jobId;
    this.taskId = job.taskId;
    this.key = job.key;
    this.index = job.index;
    this.attempts = job.attempts;
    this.remoteName = info.name;
    this.remoteStack = info.stack;
    this.exitCode = info.exitCode;
    this.signal = info.signal;
    this.nonRetryable = info.nonRetryable;
    const where = job.jobId === null ? "local job" : `job ${job.jobId} of task ${job.taskId}`;
    if (info.stack) {
      this.stack = `${this.stack ?? this.message}\n    --- remote stack (${where}, ${this.attempts} attempt(s)) ---\n${info.stack}`;
    }
  }
}

/** Every job of a task failed, so there is no value to return (list mode). */
export class TaskFailedError extends Error {
  constructor(
    readonly taskId: number | null,
    readonly work: string,
    readonly errors: readonly JobError[],
  ) {
    const first = errors[0];
    super(
      `all ${errors.length} job(s) of ${taskId === null ? "the local" : `task ${taskId}`} (${work}) failed` +
        (first ? `; the first error: ${first.message}` : ""),
    );
    this.name = "TaskFailedError";
  }
}

/** A workflow could not run: no server configured, called on a worker, and similar. */
export class WorkflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkflowError";
  }
}

/**
 * A local driver stopped because its workflow was killed, suspended or closed from outside while its body
 * ran: the body's further work calls would be refused, so its result is not awaited. `status` is the
 * workflow's status then (`cancelled` after a kill, `suspended` after a Ctrl-C or a lost driver).
 */
export class WorkflowStoppedError extends WorkflowError {
  constructor(
    message: string,
    readonly status: WorkflowStatus,
  ) {
    super(message);
    this.name = "WorkflowStoppedError";
    // Where in the SDK the stop was noticed says nothing to the user.
    this.stack = `${this.name}: ${message}`;
  }
}

/** A wait with a time limit ran out; what was waited for goes on. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** Marks errors that are not retried, whichever copy of Pando's SDK made them (a bundle's or its host's). */
export const NON_RETRYABLE = Symbol.for("pando.nonRetryable");

/**
 * Thrown by a work for a failure that retrying cannot mend (a point outside the model's domain, bad input):
 * the job fails after this attempt, whatever its maxAttempts. Subclass it for errors of your own.
 */
export class NonRetryableError extends Error {
  declare readonly [NON_RETRYABLE]: true;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
Object.defineProperty(NonRetryableError.prototype, NON_RETRYABLE, { value: true });

/** Carries a command's failure as the job's error, whichever copy of Pando's SDK made it. */
export const COMMAND_FAILURE = Symbol.for("pando.commandFailure");

/** The failure of a command work's command, as `w.local()` throws it (in a job it becomes the job's error). */
export class CommandError extends Error {
  declare readonly [COMMAND_FAILURE]: ErrorInfo;

  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = "CommandError";
    Object.defineProperty(this, COMMAND_FAILURE, { value: info });
  }

  get code(): ErrorInfo["code"] {
    return this.info.code;
  }

  get exitCode(): number | undefined {
    return this.info.exitCode;
  }

  get signal(): string | undefined {
    return this.info.signal;
  }
}

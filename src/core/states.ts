// Names and state sets of the entities users see (DESIGN.md, "Entities and states").

export const JOB_STATES = [
  "defined",
  "activated",
  "sent",
  "starting",
  "running",
  "finished",
  "failed",
  "cancelled",
  "closed",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States in which a pilot holds the job. */
export const CLAIMED_JOB_STATES = ["sent", "starting", "running"] as const satisfies readonly JobState[];
/** States a job or attempt never leaves (PanDA: a retry is a new attempt, never a rewrite). */
export const FINAL_JOB_STATES = ["finished", "failed", "cancelled", "closed"] as const satisfies readonly JobState[];
export type FinalJobState = (typeof FINAL_JOB_STATES)[number];
/** States of a job that has not ended: waiting for a pilot, or held by one. */
export const OPEN_JOB_STATES = ["defined", "activated", "sent", "starting", "running"] as const satisfies readonly JobState[];
/** What a pilot reports of an attempt: it runs, or how it ended (`closed` is the server's alone). */
export const REPORTED_ATTEMPT_STATES = ["running", "finished", "failed", "cancelled"] as const satisfies readonly JobState[];
export type ReportedAttemptState = (typeof REPORTED_ATTEMPT_STATES)[number];
/** How an attempt ended, as the attempts history keeps it. */
export type EndedAttemptState = Exclude<ReportedAttemptState, "running">;

/** How a final state reached the server: a pilot's broker message, a pilot's REST report, or the server itself (lost pilot, kill). */
export const RESULT_VIAS = ["broker", "rest", "server"] as const;
export type ResultVia = (typeof RESULT_VIAS)[number];

/** "work" for a work call, "driver" for the task that runs a remote workflow's body. */
export const TASK_KINDS = ["work", "driver"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const TASK_STATUSES = ["new", "pending", "running", "done", "finished", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(["done", "finished", "failed", "cancelled"]);

/**
 * `suspended`: a local workflow whose driver stopped (Ctrl-C, or its heartbeats stopped) without its body
 * ending; it has not ended, and `pando run --resume` takes it up again.
 */
export const WORKFLOW_STATUSES = ["new", "running", "suspended", "finished", "subfinished", "failed", "cancelled"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export const WORKFLOW_MODES = ["local", "remote"] as const;
export type WorkflowMode = (typeof WORKFLOW_MODES)[number];

export const FINAL_WORKFLOW_STATUSES: ReadonlySet<WorkflowStatus> = new Set(["finished", "subfinished", "failed", "cancelled"]);

/** A registered pilot: serving its queue, gone silent (its jobs retried elsewhere), or exited. */
export const PILOT_STATUSES = ["running", "lost", "finished"] as const;
export type PilotStatus = (typeof PILOT_STATUSES)[number];

/**
 * A pilot the provisioner started: `submitted` until its pilot registers, then `running`, then `ended`.
 * While it is not ended, its batch state says what the backend last said of its job.
 */
export const WORKER_STATUSES = ["submitted", "running", "ended"] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];
export type WorkerBatchState = "pending" | "running";

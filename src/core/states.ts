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
export type FinalJobState = "finished" | "failed" | "cancelled" | "closed";

export const TASK_STATUSES = ["new", "pending", "running", "done", "finished", "failed", "cancelled"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(["done", "finished", "failed", "cancelled"]);

/**
 * `suspended`: a local workflow whose driver stopped (Ctrl-C, or its heartbeats stopped) without its body
 * ending; it has not ended, and `pando run --resume` takes it up again.
 */
export const WORKFLOW_STATUSES = ["new", "running", "suspended", "finished", "subfinished", "failed", "cancelled"] as const;
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

export type WorkflowMode = "local" | "remote";

export const FINAL_WORKFLOW_STATUSES: ReadonlySet<WorkflowStatus> = new Set(["finished", "subfinished", "failed", "cancelled"]);

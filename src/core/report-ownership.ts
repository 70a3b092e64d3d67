// Whose report may touch a job: the rule every pilot report passes before it reaches the attempt state
// machine, on every path (REST and the broker). A report is about one attempt of one job; only the pilot
// that holds that attempt now may report it, and a report that came signed for one task may only name
// that task's jobs.

/** What the rule needs to know of a job: its task and its current attempt. */
export interface OwnedJob {
  taskId: number;
  /** Number of the current attempt (0 before the first was sent). */
  attempt: number;
  /** Pilot of the current (or last) attempt. */
  pilotId: number | null;
}

/** Who sent a report: the pilot, and the task the message was signed for when it came in one message per task. */
export interface ReportSender {
  pilotId: number;
  /** The task a broker message is about; undefined for a REST report, which may name jobs of any task the pilot holds. */
  taskId?: number;
}

/** Why an update was refused; undefined when it may be applied. */
export type OwnershipRefusal = "unknown_job" | "other_task" | "stale_attempt" | "other_pilot";

/**
 * The refusal of one update (`job` undefined: no such job), or undefined when the sender holds the attempt it reports. A stale attempt (a
 * retry went elsewhere meanwhile) and another pilot's attempt are refused alike: either way the update is
 * not the sender's to make.
 */
export function reportRefusal(job: OwnedJob | undefined, update: { attempt: number }, sender: ReportSender): OwnershipRefusal | undefined {
  if (job === undefined) return "unknown_job";
  if (sender.taskId !== undefined && job.taskId !== sender.taskId) return "other_task";
  if (job.attempt !== update.attempt) return "stale_attempt";
  if (job.pilotId !== sender.pilotId) return "other_pilot";
  return undefined;
}

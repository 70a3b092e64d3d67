import { FINAL_TASK_STATUSES, type TaskStatus, type WorkflowStatus } from "./states.js";

export interface TaskCounts {
  nJobs: number;
  nFinished: number;
  nFailed: number;
  nCancelled: number;
}

/**
 * A task's status from its jobs' final states (JEDI's rule on input items): all succeeded → done,
 * some → finished, none → failed; a task killed by a user is cancelled (PanDA: aborted).
 */
export function taskStatusFromCounts(counts: TaskCounts, killed: boolean): TaskStatus {
  const final = counts.nFinished + counts.nFailed + counts.nCancelled;
  if (final < counts.nJobs) return "running";
  if (killed) return "cancelled";
  if (counts.nFinished === counts.nJobs) return "done";
  return counts.nFinished > 0 ? "finished" : "failed";
}

export type BodyOutcome = "returned" | "threw" | "killed";

/**
 * A closed workflow's status (iDDS request status, idds-function-as-a-task.md §5.2): every task done →
 * finished; at least one task done or finished → subfinished; otherwise failed. A body that threw makes the
 * workflow failed and a killed one cancelled, whatever its tasks did. A workflow without tasks is finished.
 * While a task it kept is open (new, waiting for a queue as pending, or running), the workflow runs on.
 */
export function workflowStatusOnClose(taskStatuses: readonly TaskStatus[], body: BodyOutcome): WorkflowStatus {
  if (body === "killed") return "cancelled";
  if (body === "threw") return "failed";
  if (taskStatuses.some((s) => !FINAL_TASK_STATUSES.has(s))) return "running";
  if (taskStatuses.every((s) => s === "done")) return "finished";
  if (taskStatuses.some((s) => s === "done" || s === "finished")) return "subfinished";
  return "failed";
}

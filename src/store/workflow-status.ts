import type { TaskStatus, WorkflowStatus } from "../core/states.js";
import { workflowStatusOnClose } from "../core/task-status.js";
import type { Tx } from "./store.js";

/**
 * Re-derives the status of closed workflows whose tasks changed (a task retried after its workflow was
 * closed ends later). Open workflows are left alone: their status is decided when they close.
 */
export async function refreshClosedWorkflows(trx: Tx, workflowIds: readonly number[], now: number): Promise<void> {
  for (const id of new Set(workflowIds)) {
    const wf = await trx
      .selectFrom("workflows")
      .select(["status", "closed_at", "error"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!wf || wf.closed_at === null || wf.status === "cancelled") continue;
    // The driver task of a remote workflow is not one of its work calls: its status is the workflow's own.
    const tasks = await trx
      .selectFrom("tasks")
      .select("status")
      .where("workflow_id", "=", id)
      .where("kind", "=", "work")
      .execute();
    const status: WorkflowStatus = workflowStatusOnClose(
      tasks.map((t) => t.status as TaskStatus),
      wf.error === null ? "returned" : "threw",
    );
    if (status === wf.status) continue;
    await trx
      .updateTable("workflows")
      .set({ status, updated_at: now, ended_at: status === "running" ? null : now })
      .where("id", "=", id)
      .execute();
  }
}

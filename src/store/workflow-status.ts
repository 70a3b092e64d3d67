import type { WorkflowStatus } from "../core/states.js";
import { workflowStatusOnClose } from "../core/task-status.js";
import type { DialectName } from "./dialect.js";
import type { Tx } from "./context.js";

/**
 * Re-derives the status of closed workflows whose tasks changed: a workflow closed while tasks whose results
 * were on their way still ran ends when they do. Open workflows are left alone (their status is decided when
 * they close), and so are ended ones: a final state never changes.
 */
export async function refreshClosedWorkflows(
  trx: Tx,
  dialect: DialectName,
  workflowIds: readonly number[],
  now: number,
  locked: "wait" | "skip",
): Promise<void> {
  for (const id of new Set(workflowIds)) {
    // On PostgreSQL the workflow's row is locked while its status is derived. Inside a transaction that
    // changed jobs, a workflow another transaction holds (a kill or close, which lock the workflow before its
    // tasks) is skipped rather than waited for, so the two cannot deadlock: the status is derived again after
    // the commit, in a transaction of its own that waits (WorkflowStore.settleConcurrentCloses).
    let query = trx.selectFrom("workflows").select(["status", "closed_at", "ended_at", "error"]).where("id", "=", id);
    if (dialect === "postgres") query = locked === "skip" ? query.forUpdate().skipLocked() : query.forUpdate();
    const wf = await query.executeTakeFirst();
    if (!wf || wf.closed_at === null || wf.ended_at !== null) continue;
    // The driver task of a remote workflow is not one of its work calls: its status is the workflow's own.
    const tasks = await trx
      .selectFrom("tasks")
      .select("status")
      .where("workflow_id", "=", id)
      .where("kind", "=", "work")
      .execute();
    const status: WorkflowStatus = workflowStatusOnClose(
      tasks.map((t) => t.status),
      wf.error === null ? "returned" : "threw",
    );
    if (status === wf.status) continue;
    await trx
      .updateTable("workflows")
      .set({ status, updated_at: now, ended_at: status === "running" ? null : now })
      .where("id", "=", id)
      .where("ended_at", "is", null)
      .execute();
  }
}

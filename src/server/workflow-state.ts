import { conflict, notFound } from "../api/errors.js";
import { retryRefusal } from "../core/workflow-lifecycle.js";
import type { Store } from "../store/store.js";
import type { DriverRecord } from "../store/workflow-store.js";

/** The state the lifecycle rules (core/workflow-lifecycle) decide on. */
export async function workflowState(store: Store, workflowId: number): Promise<DriverRecord> {
  const wf = await store.workflows.driverRecord(workflowId);
  if (!wf) throw notFound("workflow", workflowId);
  return wf;
}

/** Jobs of a workflow run again only while it is suspended: its resumed driver reads their new results. */
export async function requireRetryable(store: Store, workflowId: number): Promise<void> {
  const refusal = retryRefusal(await workflowState(store, workflowId));
  if (refusal) throw conflict(refusal);
}

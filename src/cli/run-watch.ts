// The server's view of the workflows of a `pando run`, fed to its progress display.
import type { WorkflowView } from "../api/workflows.js";
import { FINAL_TASK_STATUSES, FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import type { PandoClient } from "../sdk/client.js";
import type { WorkflowHandle } from "../sdk/workflow-handle.js";
import type { Progress } from "./progress.js";

const REMOTE_POLL_MS = 1000;
/** How often the run asks the server which jobs pilots hold and why tasks wait (the live display, the waits it says). */
const RUNNING_POLL_MS = 1000;

/** Follows a remote workflow's tasks on the progress display until the workflow ends; returns its view. */
export async function followRemote(handle: WorkflowHandle<unknown>, client: PandoClient, progress: Progress): Promise<WorkflowView> {
  for (;;) {
    const view = await client.getWorkflow(handle.id, { waitMs: REMOTE_POLL_MS });
    progress.observe(view);
    for (const t of view.tasks) {
      if (t.kind !== "work") continue;
      progress.update({
        taskId: t.id,
        work: t.work,
        nJobs: t.nJobs,
        finished: t.nFinished,
        failed: t.nFailed,
        done: FINAL_TASK_STATUSES.has(t.status),
      });
    }
    if (FINAL_WORKFLOW_STATUSES.has(view.status)) return view;
  }
}

/**
 * Feeds the progress the server's view of the local workflows running here (the driver itself only learns
 * of jobs as they end): the live display on a terminal, and anywhere the tasks whose jobs cannot start.
 * Returns the function that stops it.
 */
export function watchRunning(client: PandoClient, progress: Progress, workflows: () => number[]): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.all(workflows().map(async (id) => progress.observe(await client.getWorkflow(id))))
      // Only the display depends on it: a failed look leaves the last counts shown, and the run goes on.
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, RUNNING_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

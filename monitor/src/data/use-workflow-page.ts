// The data of a workflow's page: the workflow with its tasks, its errors, its objective and its finished jobs'
// arguments and results (the parameter view), followed live, and its kill and retry actions.
import { useApi } from "../context.js";
import { useLive, useReloadOn, useResource } from "../hooks.js";
import { hasEnded } from "../status.js";
import { pointsRefreshKey, retriedMessage, taskTotals } from "./derive.js";
import { workflowJobValues } from "./use-job-values.js";

export function useWorkflowPage(id: number) {
  const api = useApi();
  const page = useResource(
    async (signal) => {
      const [workflow, errors, objective] = await Promise.all([
        api.getWorkflow({ params: { id } }, { signal }),
        api.workflowErrors({ params: { id } }, { signal }),
        api.objective({ params: { id } }, { signal }),
      ]);
      return { workflow, errors, objective, sums: taskTotals(workflow.tasks), ended: hasEnded(workflow.status) };
    },
    [id],
  );
  // Finished jobs only change in number: read them again when it moves enough, not on every change event.
  const refresh = pointsRefreshKey(page.data?.sums.nFinished, page.data?.ended ?? false);
  const values = useResource((signal) => workflowJobValues(api, id, signal), [id]);
  useReloadOn(refresh, values.reload);
  const live = useLive(`?workflow=${id}`, page.reload);
  return {
    page,
    values,
    live,
    /** Kills the workflow; says what it became. */
    kill: async () => {
      const after = await api.killWorkflow({ params: { id } });
      page.reload();
      return `workflow ${id} is ${after.status}`;
    },
    /** Sends the failed and cancelled jobs of its ended tasks back to the queue; says how many. */
    retry: async () => {
      const { retried } = await api.retryWorkflow({ params: { id } });
      page.reload();
      return retriedMessage(retried);
    },
  };
}

// The data of a workflow's page: the workflow with its tasks, its errors and its objective, followed live,
// and its kill and retry actions.
import { useApi } from "../context.js";
import { useLive, useResource } from "../hooks.js";
import { hasEnded } from "../status.js";
import { retriedMessage, taskTotals } from "./derive.js";

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
  const live = useLive(`?workflow=${id}`, page.reload);
  return {
    page,
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

// The data of a job's page: the job with its attempts, followed live through its task's events.
import { useApi } from "../context.js";
import { useLive, useResource } from "../hooks.js";

export function useJobPage(id: number) {
  const api = useApi();
  const job = useResource((signal) => api.getJob({ params: { id } }, { signal }), [id]);
  const taskId = job.data?.taskId;
  // A job changes with its task: follow the task's events once it is known.
  const live = useLive(taskId === undefined ? null : `?task=${taskId}`, job.reload);
  return { job, live };
}

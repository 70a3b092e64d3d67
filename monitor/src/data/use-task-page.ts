// The data of a task's page: the task with its timeline and errors, a page of its jobs in the chosen states,
// followed live, and its kill and retry actions.
import { useState } from "preact/hooks";
import { useApi } from "../context.js";
import { useCursorPages, useLive, useResource } from "../hooks.js";
import { hasEnded } from "../status.js";
import { jobsQuery, openJobs, retriedMessage } from "./derive.js";

/** Jobs shown per page: a task may have 100,000, and only one page is ever read. */
const PAGE_SIZE = 50;

export function useTaskPage(id: number) {
  const api = useApi();
  const summary = useResource(
    async (signal) => {
      const [task, timeline, errors] = await Promise.all([
        api.getTask({ params: { id } }, { signal }),
        api.timeline({ params: { id } }, { signal }),
        api.taskErrors({ params: { id } }, { signal }),
      ]);
      return { task, timeline, errors, ended: hasEnded(task.status), open: openJobs(task) };
    },
    [id],
  );
  const [states, setStates] = useState("");
  const filters = jobsQuery(states, PAGE_SIZE);
  const pages = useCursorPages(`${id}?${JSON.stringify(filters)}`);
  const pageQuery = { ...filters, cursor: pages.cursor };
  const jobs = useResource((signal) => api.listJobs({ params: { id }, query: pageQuery }, { signal }), [id, JSON.stringify(pageQuery)]);
  const reload = () => {
    summary.reload();
    jobs.reload();
  };
  const live = useLive(`?task=${id}`, reload);
  return {
    summary,
    jobs,
    states,
    setStates,
    pages,
    live,
    /** Kills the task; says what it became. */
    kill: async () => {
      const after = await api.killTask({ params: { id } });
      reload();
      return `task ${id} is ${after.status}`;
    },
    /** Sends its failed and cancelled jobs back to the queue; says how many. */
    retry: async () => {
      const { retried } = await api.retryTask({ params: { id } });
      reload();
      return retriedMessage(retried);
    },
  };
}

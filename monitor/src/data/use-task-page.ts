// The data of a task's page: the task with its timeline and errors, a page of its jobs in the chosen states,
// every job's arguments and result (for the table of job values), followed live, its view kept in the URL,
// and its kill and retry actions.
import { useState } from "preact/hooks";
import { useApi } from "../context.js";
import { useCursorPages, useLive, useReloadOn, useResource } from "../hooks.js";
import { href, type JobsView } from "../route.js";
import { hasEnded } from "../status.js";
import { jobsQuery, openJobs, retriedMessage } from "./derive.js";
import { taskJobValues } from "./use-job-values.js";

/** Jobs shown per page: a task may have 100,000, and only one page is ever read. */
const PAGE_SIZE = 50;

export function useTaskPage(id: number, initialJobs: JobsView) {
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
  const [view, setViewState] = useState(initialJobs);
  // The view goes into the address without a new history entry: a reload or a shared link shows the same.
  const setView = (next: JobsView) => {
    setViewState(next);
    history.replaceState(history.state, "", href.task(id, next));
  };
  const filters = jobsQuery(view.states, PAGE_SIZE);
  const pages = useCursorPages(`${id}?${JSON.stringify(filters)}`);
  const pageQuery = { ...filters, cursor: pages.cursor };
  const jobs = useResource((signal) => api.listJobs({ params: { id }, query: pageQuery }, { signal }), [id, JSON.stringify(pageQuery)]);
  // Arguments never change and results only come with a final state: read again when the task's count of
  // final states moves, not on every change of a running job.
  const finals = summary.data?.task.resultCursor;
  const values = useResource((signal) => taskJobValues(api, id, view.states, signal), [id, view.states]);
  useReloadOn(finals, values.reload);
  const reload = () => {
    summary.reload();
    jobs.reload();
  };
  const live = useLive(`?task=${id}`, reload);
  return {
    summary,
    jobs,
    values,
    view,
    setView,
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

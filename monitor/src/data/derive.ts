// What the pages show that is worked out from the API's answers and the page's filters, without I/O.
import type { ListJobsRequest, ListPilotsRequest, ListWorkflowsRequest } from "../../../src/api/monitoring.js";
import type { TaskView } from "../../../src/api/tasks.js";
import type { PilotStatus } from "../../../src/core/states.js";
import { formatCount } from "../format.js";

export interface JobCounts {
  nJobs: number;
  nFinished: number;
  nFailed: number;
  nCancelled: number;
}

/** The job counts of a workflow: the sums over its tasks. */
export function taskTotals(tasks: readonly TaskView[]): JobCounts & { nRunning: number } {
  const sum = (f: (t: TaskView) => number) => tasks.reduce((n, t) => n + f(t), 0);
  return {
    nJobs: sum((t) => t.nJobs),
    nFinished: sum((t) => t.nFinished),
    nFailed: sum((t) => t.nFailed),
    nCancelled: sum((t) => t.nCancelled),
    nRunning: sum((t) => t.nRunning ?? 0),
  };
}

/** The jobs that have not ended: neither finished, failed nor cancelled. */
export function openJobs(counts: JobCounts): number {
  return counts.nJobs - counts.nFinished - counts.nFailed - counts.nCancelled;
}

/** What a retry did, as the page says it. */
export function retriedMessage(retried: number): string {
  return `${formatCount(retried)} job${retried === 1 ? "" : "s"} sent back to the queue`;
}

export interface WorkflowFilters {
  status: string;
  name: string;
  user: string;
}

/** The listing's query for the filters as typed; an empty filter is no filter. */
export function workflowsQuery(filters: WorkflowFilters, limit: number): ListWorkflowsRequest {
  return { limit, status: filters.status || undefined, name: filters.name || undefined, user: filters.user || undefined };
}

/** Whether any filter is set. */
export function isFiltered(filters: WorkflowFilters): boolean {
  return Boolean(filters.status || filters.name || filters.user);
}

/** The pilots' listing query for a status chosen in the filter ("": any). */
export function pilotsQuery(status: string, limit: number): ListPilotsRequest {
  return { limit, status: (status || undefined) as PilotStatus | undefined };
}

/** A task's jobs query for the states chosen in the filter ("": any). */
export function jobsQuery(states: string, limit: number): ListJobsRequest {
  return { limit, state: states || undefined };
}

/** Below this many finished jobs, every new one re-reads the parameter view's points. */
const EVERY_JOB_UNTIL = 200;
/** Above it, the points are read again once the finished jobs grew by this fraction (or the workflow ended). */
const GROWTH = 0.05;

/**
 * When the parameter view reads its points again, as a key that changes only then: with every finished job
 * while they are few, then at each 5 % more, so that a live search of tens of thousands of jobs does not
 * re-read them all twice a second. The workflow's end always reads them once more. Undefined until known.
 */
export function pointsRefreshKey(finished: number | undefined, ended: boolean): string | undefined {
  if (finished === undefined) return undefined;
  const step = finished <= EVERY_JOB_UNTIL ? finished : EVERY_JOB_UNTIL + Math.floor(Math.log(finished / EVERY_JOB_UNTIL) / Math.log(1 + GROWTH));
  return `${step}${ended ? " ended" : ""}`;
}

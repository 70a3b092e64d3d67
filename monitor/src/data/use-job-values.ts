// Every job of a task (up to a cap) with its arguments and result as cells, for the task page's table of
// job values: sorting and the CSV cover all of them, not one page.
import type { JobValues, JobValuesPage } from "../../../src/api/monitoring.js";
import { MAX_JOB_VALUES } from "../../../src/api/monitoring.js";
import type { Api } from "../api.js";

/** The jobs a table reads at most: the API answers MAX_JOB_VALUES at a time, and a browser sorts this many at once. */
export const MAX_TABLE_JOBS = 10_000;

/** Follows `next` until the end or `cap` rows; `more` tells whether rows were left unread. */
export async function readAllPages(
  readPage: (cursor: number | undefined, limit: number) => Promise<JobValuesPage>,
  cap: number,
): Promise<{ rows: JobValues[]; more: boolean }> {
  const rows: JobValues[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await readPage(cursor, Math.min(MAX_JOB_VALUES, cap - rows.length));
    rows.push(...page.jobs);
    if (page.next === null) return { rows, more: false };
    if (rows.length >= cap) return { rows, more: true };
    cursor = page.next;
  }
}

/** A task's job values in some states ("" for all). */
export function taskJobValues(api: Api, id: number, states: string, signal: AbortSignal) {
  return readAllPages(
    (cursor, limit) => api.taskJobValues({ params: { id }, query: { state: states || undefined, cursor, limit } }, { signal }),
    MAX_TABLE_JOBS,
  );
}

/** The finished jobs of a workflow's work tasks, for the parameter view. */
export function workflowJobValues(api: Api, id: number, signal: AbortSignal) {
  return readAllPages((cursor, limit) => api.workflowJobValues({ params: { id }, query: { cursor, limit } }, { signal }), MAX_TABLE_JOBS);
}

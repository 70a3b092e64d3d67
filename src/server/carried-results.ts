// A driver's results long-poll answered from the changes that woke it: pilots' reports recorded on this
// replica carry their results and the task as it reads after them (TaskChange.results), so the woken poll
// need not read back what was just written (two reads, and on PostgreSQL two round trips, per wake-up).
import type { TaskResultsResponse } from "../api/results.js";
import type { TaskChange } from "../store/task-store.js";

/**
 * The answer to a results read after `after` (at most `limit` of them) from the changes heard since the last
 * read, when they carry every result from `after` on, in order; undefined when they do not (a change made on
 * another replica, or one without results, such as a kill's, came between): the caller then reads the store.
 */
export function resultsFrom(changes: readonly TaskChange[], after: number, limit: number): TaskResultsResponse | undefined {
  let cursor = after;
  let task: TaskResultsResponse["task"] | undefined;
  const results: TaskResultsResponse["results"] = [];
  for (const c of [...changes].sort((a, b) => a.seqFrom - b.seqFrom)) {
    if (c.seqTo <= cursor) continue;
    if (c.seqFrom !== cursor || !c.results) break;
    results.push(...c.results.outcomes);
    cursor = c.seqTo;
    task = c.results.view;
  }
  if (!task) return undefined;
  if (results.length > limit) {
    results.length = limit;
    cursor = results[limit - 1]!.seq;
  }
  return { task, results, cursor };
}

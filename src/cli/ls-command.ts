import type { ListWorkflowsRequest, WorkflowPage, WorkflowSummary } from "../api/monitoring.js";
import { TASK_STATUSES, type WorkflowStatus } from "../core/states.js";
import { formatCounts, formatTime, table } from "./format.js";
import type { ClientFlags } from "./client-options.js";
import { note, print, printJson, withServer } from "./server-call.js";

export interface LsFlags extends ClientFlags {
  status?: WorkflowStatus[];
  name?: string;
  user?: string;
  /** Only workflows created within this many milliseconds. */
  since?: number;
  limit?: number;
  cursor?: number;
  all?: boolean;
}

/** The largest page the server answers. */
export const LS_MAX_LIMIT = 1000;

function row(w: WorkflowSummary): string[] {
  return [
    String(w.id),
    w.name,
    w.user,
    w.status,
    formatCounts(w.tasks, TASK_STATUSES),
    String(w.nJobs),
    String(w.nFinished),
    String(w.nFailed),
    w.nJobs === 0 ? "-" : `${w.progress}%`,
    formatTime(w.createdAt),
    formatTime(w.endedAt),
  ];
}

/** `pando ls`: the workflows table, newest first, a page at a time or (--all) every page. */
export async function lsCommand(flags: LsFlags): Promise<void> {
  const query: ListWorkflowsRequest = {
    status: flags.status?.join(","),
    name: flags.name,
    user: flags.user,
    createdAfter: flags.since === undefined ? undefined : Date.now() - flags.since,
    limit: flags.limit,
  };
  const page = await withServer(flags, async (api): Promise<WorkflowPage> => {
    const read = (cursor: number | undefined) => api.listWorkflows({ query: { ...query, cursor } });
    if (!flags.all) return read(flags.cursor);
    const workflows: WorkflowSummary[] = [];
    for (let cursor = flags.cursor; ; ) {
      const next = await read(cursor);
      workflows.push(...next.workflows);
      if (next.next === null) return { workflows, next: null };
      cursor = next.next;
    }
  });
  if (flags.json) return printJson(page);
  if (page.workflows.length === 0) {
    note("no workflows");
    return;
  }
  print(
    table(
      ["ID", "NAME", "USER", "STATUS", "TASKS", "JOBS", "FINISHED", "FAILED", "PROGRESS", "CREATED", "ENDED"],
      page.workflows.map(row),
    ),
  );
  if (page.next !== null) note(`more: add --cursor ${page.next} for the next page, or --all for every page`);
}

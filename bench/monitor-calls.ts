// The API calls the monitor's pages make (workflows listing, a workflow, a task's jobs, errors and timeline),
// and their latencies: shared by the monitoring benchmark and the scale benchmark's 1,000,000-job database.
import type { ApiCaller } from "../src/api/caller.js";
import { median, percentile } from "./stats.js";

export function endpoints(caller: ApiCaller, ids: { workflowId: number; taskId: number }, size: { workflows: number; jobs: number }): Array<[string, () => Promise<unknown>]> {
  const workflow = { params: { id: ids.workflowId } };
  const task = (query: Record<string, string | number> = {}) => ({ params: { id: ids.taskId }, query });
  return [
    ["workflows, first page (50)", () => caller.listWorkflows()],
    ["workflows, page at the middle", () => caller.listWorkflows({ query: { cursor: Math.floor(size.workflows / 2) } })],
    ["workflows by status (failed)", () => caller.listWorkflows({ query: { status: "failed" } })],
    ["workflow with its tasks", () => caller.getWorkflow(workflow)],
    ["task jobs, first page (100)", () => caller.listJobs(task({ limit: 100 }))],
    ["task jobs, page at the middle (100)", () => caller.listJobs(task({ limit: 100, cursor: Math.floor(size.jobs / 2) }))],
    ["task failed jobs (100)", () => caller.listJobs(task({ state: "failed", limit: 100 }))],
    ["task error groups", () => caller.taskErrors(task())],
    ["task timeline (200 buckets)", () => caller.timeline(task())],
    ["objective per iteration", () => caller.objective(workflow)],
  ];
}

export async function latencies(calls: Array<[string, () => Promise<unknown>]>, count: number): Promise<Record<string, { p50: number; p95: number }>> {
  const out: Record<string, { p50: number; p95: number }> = {};
  for (const [name, call] of calls) {
    const samples: number[] = [];
    for (let i = 0; i < count + 3; i++) {
      const t0 = performance.now();
      await call();
      if (i >= 3) samples.push(performance.now() - t0);
    }
    out[name] = { p50: median(samples), p95: percentile(samples, 0.95) };
  }
  return out;
}


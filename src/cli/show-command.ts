import { inspect } from "node:util";
import type { ApiCaller } from "../api/caller.js";
import type { ErrorGroup, JobPage } from "../api/monitoring.js";
import type { JobView, TaskView } from "../api/tasks.js";
import type { WorkflowView } from "../api/workflows.js";
import { decode } from "../codec/tagged-json.js";
import type { ErrorInfo } from "../core/errors.js";
import type { JobState } from "../core/states.js";
import { fields, formatDuration, formatError, formatSpan, formatTime, table, truncate } from "./format.js";
import type { ClientFlags } from "./client-options.js";
import { checkSameWorkflow, note, print, printJson, withServer } from "./server-call.js";

export interface ShowFlags extends ClientFlags {
  task?: number;
  job?: number;
  state?: JobState[];
  limit?: number;
  cursor?: number;
}

/** The largest page of jobs the server answers. */
export const JOBS_MAX_LIMIT = 10_000;
/** Arguments and results longer than this are cut in the human view (--json has them whole). */
const VALUE_CHARS = 2000;
const STACK_LINES = 12;
const ERROR_CHARS = 100;

/** An argument list or result, decoded from its tagged JSON and printed as Node prints values. */
function showValue(text: string | null): string {
  if (text === null) return "-";
  let value: unknown;
  try {
    value = decode(text);
  } catch {
    // Stored values always decode; if one ever did not, its text still says more than an error would.
    return truncate(text, VALUE_CHARS);
  }
  return truncate(inspect(value, { depth: 6, breakLength: 100 }), VALUE_CHARS);
}

/** `code: message`, then the start of the stack when there is one. */
function showError(error: ErrorInfo | Omit<ErrorInfo, "code"> | null): string {
  if (!error) return "-";
  const stack = error.stack ? error.stack.split("\n").slice(0, STACK_LINES).join("\n") : "";
  return stack ? `${formatError(error)}\n${stack}` : formatError(error);
}

function errorsTable(groups: readonly ErrorGroup[]): string {
  if (groups.length === 0) return "no failed or cancelled jobs";
  return table(
    ["FAILED JOBS", "CODE", "MESSAGE", "EXAMPLES"],
    groups.map((g) => [String(g.count), g.code, truncate(g.message, ERROR_CHARS), g.exampleJobs.map((j) => j.id).join(" ")]),
  );
}

const percent = (ended: number, total: number) => (total === 0 ? "-" : `${Math.floor((1000 * ended) / total) / 10}%`);

function workflowText(wf: WorkflowView, errors: readonly ErrorGroup[]): string {
  const about = fields([
    ["status", wf.status],
    ...(wf.suspendedAt !== null ? [["suspended", `${formatTime(wf.suspendedAt)}: ${wf.suspendReason ?? "no reason recorded"}`] as const] : []),
    ["user", wf.user],
    ["mode", `${wf.mode}, queue ${wf.queue}`],
    ["created", formatTime(wf.createdAt)],
    ["ended", wf.endedAt === null ? `- (running for ${formatSpan(wf.createdAt, null)})` : `${formatTime(wf.endedAt)} (after ${formatSpan(wf.createdAt, wf.endedAt)})`],
    ...(wf.result !== null ? [["result", showValue(wf.result)] as const] : []),
    ...(wf.error !== null ? [["error", showError(wf.error)] as const] : []),
  ]);
  const tasks =
    wf.tasks.length === 0
      ? "no tasks"
      : table(
          ["TASK", "WORK", "SEQ", "STATUS", "JOBS", "FINISHED", "FAILED", "RUNNING", "PROGRESS", "QUEUE"],
          wf.tasks.map((t) => [
            String(t.id),
            t.kind === "driver" ? `${t.work} (driver)` : t.work,
            t.seq === null ? "-" : String(t.seq),
            t.pendingReason ? `${t.status}: ${t.pendingReason}` : t.status,
            String(t.nJobs),
            String(t.nFinished),
            String(t.nFailed),
            String(t.nRunning ?? 0),
            percent(t.nFinished + t.nFailed + t.nCancelled, t.nJobs),
            t.queue,
          ]),
        );
  return `workflow ${wf.id} (${wf.name})\n${about}\n\n${tasks}\n\n${errorsTable(errors)}`;
}

function taskText(task: TaskView, page: JobPage, errors: readonly ErrorGroup[]): string {
  const about = fields([
    ["status", task.pendingReason ? `${task.status}: ${task.pendingReason}` : task.status],
    ["kind", task.seq === null ? task.kind : `${task.kind}, call ${task.seq} of its driver`],
    ["queue", task.queue],
    ["cores", `${task.cores} per job`],
    ["memory", task.memoryMb > 0 ? `${task.memoryMb} MiB per job` : "not stated"],
    ["walltime", task.walltimeS > 0 ? `${formatDuration(task.walltimeS * 1000)} per job` : "not stated"],
    ["max attempts", `${task.maxAttempts} per job`],
    ["priority", String(task.priority)],
    ["objective", task.objective ? `${task.objective.name}, ${task.objective.direction === "minimize" ? "minimised" : "maximised"}` : "not declared"],
    ["jobs", `${task.nJobs}: ${task.nFinished} finished, ${task.nFailed} failed, ${task.nCancelled} cancelled`],
    ["created", formatTime(task.createdAt)],
    ["ended", task.endedAt === null ? "-" : `${formatTime(task.endedAt)} (after ${formatSpan(task.createdAt, task.endedAt)})`],
  ]);
  const jobs =
    page.jobs.length === 0
      ? "no jobs on this page"
      : table(
          ["JOB", "INDEX", "STATE", "ATTEMPTS", "PILOT", "STARTED", "DURATION", "ERROR"],
          page.jobs.map((j) => [
            String(j.id),
            String(j.index),
            j.state,
            String(j.attempts),
            j.pilot ?? "-",
            formatTime(j.startedAt),
            formatSpan(j.startedAt, j.endedAt),
            truncate(formatError(j.error), ERROR_CHARS),
          ]),
        );
  return `task ${task.id} ${task.work} (workflow ${task.workflowId})\n${about}\n\n${jobs}\n\n${errorsTable(errors)}`;
}

function jobText(job: JobView): string {
  const about = fields([
    ["state", job.state],
    ["key", job.key],
    ["queue", job.queue],
    ["created", formatTime(job.createdAt)],
    ["started", formatTime(job.startedAt)],
    ["ended", job.endedAt === null ? "-" : `${formatTime(job.endedAt)} (after ${formatSpan(job.startedAt, job.endedAt)})`],
    ["args", showValue(job.args)],
    ["result", showValue(job.result)],
    ["error", showError(job.error)],
  ]);
  const attempts =
    job.attempts.length === 0
      ? "no attempts yet"
      : table(
          ["ATTEMPT", "STATE", "PILOT", "STARTED", "DURATION", "ERROR", "OUTPUT"],
          job.attempts.map((a) => [
            String(a.attempt),
            a.state,
            a.pilot ?? "-",
            formatTime(a.startedAt),
            formatSpan(a.startedAt, a.endedAt),
            truncate(formatError(a.error), ERROR_CHARS),
            a.stdout === null && a.stderr === null ? "-" : `stdout ${a.stdout?.length ?? 0}, stderr ${a.stderr?.length ?? 0} chars`,
          ]),
        );
  return `job ${job.id}, index ${job.index} of task ${job.taskId} (workflow ${job.workflowId})\n${about}\n\n${attempts}`;
}

async function showTask(api: ApiCaller, workflowId: number | undefined, taskId: number, flags: ShowFlags): Promise<void> {
  const params = { id: taskId };
  const task = await api.getTask({ params });
  checkSameWorkflow(`task ${taskId}`, task.workflowId, workflowId);
  const query = { state: flags.state?.join(","), limit: flags.limit, cursor: flags.cursor };
  const [page, errors] = await Promise.all([api.listJobs({ params, query }), api.taskErrors({ params })]);
  if (flags.json) return printJson({ task, jobs: page.jobs, next: page.next, errors });
  print(taskText(task, page, errors));
  if (page.next !== null) note(`more jobs: add --cursor ${page.next} for the next page`);
}

/**
 * `pando show <workflowId>`: the workflow, its tasks and its errors grouped by code and message;
 * `--task <id>`: a task with a page of its jobs and its errors; `--job <id>`: a job with its attempts.
 */
export async function showCommand(workflowId: number | undefined, flags: ShowFlags): Promise<void> {
  if (flags.task !== undefined && flags.job !== undefined) throw new Error("--task and --job cannot go together: show one of them");
  if (workflowId === undefined && flags.task === undefined && flags.job === undefined) {
    throw new Error("say what to show: pando show <workflowId>, pando show --task <id> or pando show --job <id>");
  }
  if (flags.task === undefined && (flags.state || flags.limit !== undefined || flags.cursor !== undefined)) {
    throw new Error("--state, --limit and --cursor choose a task's jobs: add --task <id>");
  }
  await withServer(flags, async (api) => {
    if (flags.task !== undefined) return showTask(api, workflowId, flags.task, flags);
    if (flags.job !== undefined) {
      const job = await api.getJob({ params: { id: flags.job } });
      checkSameWorkflow(`job ${flags.job}`, job.workflowId, workflowId);
      if (flags.json) return printJson({ job });
      print(jobText(job));
      if (job.attempts.some((a) => a.stdout !== null || a.stderr !== null)) note(`their output: pando logs ${job.id} --all`);
      return;
    }
    const params = { id: workflowId! };
    const [workflow, errors] = await Promise.all([api.getWorkflow({ params }), api.workflowErrors({ params })]);
    return flags.json ? printJson({ workflow, errors }) : print(workflowText(workflow, errors));
  });
}

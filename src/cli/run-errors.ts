// How `pando run` reports what stopped it: one `pando: …` line, and the stacks only when asked (--verbose).
import { JobError, TaskFailedError, TimeoutError, WorkflowError } from "../sdk/errors.js";
import { WorkflowFailedError } from "../sdk/workflow-handle.js";
import { plural } from "./format.js";

/**
 * The command line, or the program it names, does not say what to run (exit code 2): a wrong export, a work
 * named instead of a workflow, a program that calls no workflow, a data directory in use.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Job stacks printed with --verbose: a task of 10,000 failed jobs is told by its first few. */
const VERBOSE_JOBS = 3;

export interface RunErrorContext {
  /** The server the run used, when it outlives the run (--server): `pando show` can then look further. */
  server: string | undefined;
  verbose: boolean;
}

/** `Error: boom` and Pando's own errors read as their message; other classes keep their name (`TypeError: x is not a function`). */
function headline(err: Error): string {
  const plain = err.name === "Error" || err instanceof WorkflowError || err instanceof TimeoutError;
  return plain ? err.message : `${err.name}: ${err.message}`;
}

function jobWhere(e: JobError): string {
  return e.jobId === null ? "a local job" : `job ${e.jobId} of task ${e.taskId}`;
}

/** A job's error as the job threw it (`RangeError: bad point`); Pando's code when it is not the job's own error. */
function jobHeadline(e: JobError): string {
  const thrown = e.remoteName && e.remoteName !== "Error" ? `${e.remoteName}: ${e.message}` : e.message;
  return e.code === "user_error" ? thrown : `${e.code}: ${thrown}`;
}

/** Where to look further, in parentheses after the error: --verbose for stacks, `pando show` on a server that outlives the run. */
function pointers(stacks: boolean, server: string | undefined, show: string | undefined): string {
  const where = [...(stacks ? ["--verbose prints the stack"] : []), ...(server && show ? [`${show} --server ${server} shows it`] : [])];
  return where.length > 0 ? ` (${where.join("; ")})` : "";
}

/** What `pando run` prints on stderr when it stops on an error: one line, then with --verbose the stacks. */
export function describeRunError(err: unknown, context: RunErrorContext): string {
  const { server, verbose } = context;
  if (!(err instanceof Error)) return `pando: ${String(err)}`;
  if (err instanceof UsageError) return `pando: ${err.message}`;
  if (err instanceof TaskFailedError) {
    const line = `pando: ${err.message}`;
    if (verbose) return [line, ...err.errors.slice(0, VERBOSE_JOBS).map((e) => `  ${jobWhere(e)}: ${e.remoteStack ?? jobHeadline(e)}`)].join("\n");
    const stacks = err.errors.some((e) => e.remoteStack !== undefined);
    return line + pointers(stacks, server, err.taskId === null ? undefined : `pando show --task ${err.taskId}`);
  }
  if (err instanceof JobError) {
    const line = `pando: ${jobWhere(err)} failed after ${plural(err.attempts, "attempt")}: ${jobHeadline(err)}`;
    if (verbose) return err.remoteStack ? `${line}\n${err.remoteStack}` : line;
    return line + pointers(err.remoteStack !== undefined, server, err.jobId === null ? undefined : `pando show --job ${err.jobId}`);
  }
  const line = `pando: ${headline(err)}`;
  if (verbose) return err.stack ? `${line}\n${err.stack}` : line;
  const workflow = err instanceof WorkflowFailedError ? `pando show ${err.workflowId}` : undefined;
  return line + pointers(err.stack !== undefined, server, workflow);
}

// What `pando run` is asked to run, checked before anything starts, and the messages that name it.
import { parseWorkflowArg } from "./parse.js";
import { UsageError } from "./run-errors.js";
import type { RunFlags, RunTarget } from "./run-session.js";

/** The target and arguments of `pando run`, with the flags that only make sense together checked. */
export function runTarget(target: string, rawArgs: readonly string[], flags: RunFlags): RunTarget {
  const { file, exportName } = splitTarget(target);
  const args = exportName === undefined ? [] : rawArgs.map((a, i) => parseWorkflowArg(a, i + 1));
  if ((flags.remote || flags.resume !== undefined) && exportName === undefined) {
    throw new Error(`--remote and --resume need the workflow to call: pando run ${file}#<export>`);
  }
  // Without --server, a program's own server (PANDO_SERVER, as for programs started without `pando run`); an empty one: the embedded server.
  const serverUrl = flags.server ?? (process.env.PANDO_SERVER || undefined);
  if (flags.detach && !(flags.remote && serverUrl)) {
    throw new Error("--detach needs --remote and --server: an embedded server ends with this command");
  }
  if (flags.remote && flags.resume !== undefined) {
    throw new Error("--resume is for local drivers; a remote workflow's server re-runs its driver by itself");
  }
  return { target, file, exportName, rawArgs, args, serverUrl };
}

export function splitTarget(target: string): { file: string; exportName: string | undefined } {
  const hash = target.lastIndexOf("#");
  if (hash < 0) return { file: target, exportName: undefined };
  return { file: target.slice(0, hash), exportName: target.slice(hash + 1) };
}

/** The command that resumes a workflow this run started, for the message of an interrupt. */
export function resumeCommand(target: string, rawArgs: readonly string[], flags: RunFlags, workflowId: number): string {
  const quote = (a: string) => (/^[\w.,:/@%+=#-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  const { file, exportName } = splitTarget(target);
  const words = [exportName === undefined ? `${file}#<workflow> <its arguments>` : [target, ...rawArgs].map(quote).join(" ")];
  if (flags.server) words.push(`--server ${flags.server}`);
  // The embedded server's state is in the data directory: the same one must be given again (".pando" is the default).
  else if (flags.dataDir !== ".pando") words.push(`--data-dir ${quote(flags.dataDir)}`);
  return `pando run ${words.join(" ")} --resume ${workflowId}`;
}

/** The workflow `file#exportName` names in the module the program's bundle gave, or why there is none. */
export function workflowExport(file: string, exportName: string, mod: Record<string, unknown> | undefined): unknown {
  if (!mod) {
    throw new UsageError(`${file} runs a workflow from its top-level code; run it as \`pando run ${file}\` (without #${exportName})`);
  }
  const wf = mod[exportName];
  if (typeof wf !== "function" || typeof (wf as { workflowName?: unknown }).workflowName !== "string") {
    throw notAWorkflow(file, exportName, mod);
  }
  return wf;
}

/** The exports of a module that are workflows, by export name. */
function exportedWorkflows(mod: Record<string, unknown>): string[] {
  return Object.keys(mod).filter((k) => typeof (mod[k] as { workflowName?: unknown } | null)?.workflowName === "string");
}

/** Why `file#exportName` names no workflow to call, and what to name instead. */
function notAWorkflow(file: string, exportName: string, mod: Record<string, unknown>): UsageError {
  const workflows = exportedWorkflows(mod);
  const instead =
    workflows.length > 0
      ? `its workflows: ${workflows.join(", ")}`
      : "it exports no workflow: wrap the driver with workflow() and export it";
  const value = mod[exportName] as { workName?: unknown } | undefined;
  if (typeof value?.workName === "string") {
    return new UsageError(
      `'${exportName}' in ${file} is a work, not a workflow: a work runs as a task inside a workflow, so call it from a workflow's body and run that (${instead})`,
    );
  }
  if (!(exportName in mod)) return new UsageError(`${file} has no export '${exportName}' (${instead})`);
  return new UsageError(`'${exportName}' in ${file} is not a workflow (${instead})`);
}

/** Said when a program run for its top-level code called no workflow: nothing ran. */
export function noWorkflowCalled(file: string, mod: Record<string, unknown>): UsageError {
  const workflows = exportedWorkflows(mod);
  const name =
    workflows.length > 0
      ? `name the one to call: pando run ${file}#${workflows[0]} [args…] (its workflows: ${workflows.join(", ")})`
      : "call a workflow from its top-level code, or export one and name it: pando run <file>#<export> [args…]";
  return new UsageError(`${file} called no workflow, so nothing ran: ${name}`);
}

// Running the driver of a `pando run` in this process: the program's top-level code, or the named workflow
// (here, or submitted with --remote), and printing its value.
import { inspect } from "node:util";
import type { Bundle } from "../bundle/bundler.js";
import { setDriverEnvironment } from "../sdk/driver-env.js";
import type { Workflow } from "../sdk/workflow.js";
import { runRemote } from "./run-remote.js";
import { exitCodeOf, type RunSession } from "./run-session.js";
import { noWorkflowCalled, workflowExport } from "./run-target.js";
import type { ReservedStdout } from "./stdout-reserve.js";

/** Lets the workflows the program calls run on the run's server, with their progress on its display. */
export function setRunEnvironment(run: RunSession, bundle: Bundle, projectHash: string | undefined): void {
  const { flags, progress, client, runs } = run;
  let resume = flags.resume;
  setDriverEnvironment({
    client,
    queue: flags.queue,
    takeResume: () => {
      const id = resume;
      resume = undefined;
      return id;
    },
    bundle: async () => ({ hash: bundle.hash, lockfileHash: bundle.lockfileHash, projectHash }),
    onWorkflowCall: () => run.workflowsCalled++,
    onWorkflowStart: (id, name) => {
      runs.start(id);
      progress.workflowStarted(id, name, client.serverUrl);
    },
    onDriverStopped: () => (run.abandonedBody = true),
    onWorkflowEnd: (id, status) => {
      progress.line(`workflow ${id} ${status}${status === "subfinished" ? " (some jobs failed)" : ""}`);
      // Subfinished: the body returned although some of its jobs failed; the run itself succeeded.
      if (status !== "finished" && status !== "subfinished") run.outcome = "failed";
      runs.end(id);
    },
    onProgress: (p) => progress.update(p),
    onWarning: (message) => progress.warn(message),
  });
}

/** Runs the program's own top-level code, which calls workflows itself; returns once they all ended. */
export async function runTopLevel(run: RunSession, bundlePath: string): Promise<number> {
  const script = (await import(bundlePath)) as Record<string, unknown>;
  await run.runs.settled();
  if (run.workflowsCalled === 0) throw noWorkflowCalled(run.target.file, script);
  return exitCodeOf(run);
}

/** Calls the workflow `#export` names with the run's arguments, here or (--remote) on the server; prints its value. */
export async function runExport(run: RunSession, exportName: string, mod: Record<string, unknown> | undefined, stdout: ReservedStdout): Promise<number> {
  const { target, flags, progress } = run;
  const wf = workflowExport(target.file, exportName, mod);
  let value: unknown;
  if (flags.remote) {
    const end = await runRemote(run, exportName, wf as Workflow<(...a: unknown[]) => unknown>, stdout);
    if (end.detached) return 0;
    value = end.value;
  } else {
    value = await (wf as (...a: unknown[]) => Promise<unknown>)(...target.args);
  }
  progress.end();
  stdout.write(flags.json ? `${JSON.stringify(value ?? null)}\n` : `${inspect(value, { depth: 6, colors: process.stdout.isTTY })}\n`);
  return exitCodeOf(run);
}

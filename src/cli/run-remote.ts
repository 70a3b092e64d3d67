// `pando run --remote`: the workflow's driver runs on the server; this command submits it, then follows it
// or (--detach) leaves it.
import { workflowValue } from "../sdk/workflow-handle.js";
import type { Workflow } from "../sdk/workflow.js";
import type { RunSession } from "./run-session.js";
import { followRemote } from "./run-watch.js";
import type { ReservedStdout } from "./stdout-reserve.js";

/** How a remote run ended here: the workflow's value once it ended, or detached from it. */
export type RemoteEnd = { detached: true } | { detached: false; value: unknown };

/** Submits the workflow; with --detach prints its id and returns, otherwise follows it to its end. */
export async function runRemote(
  run: RunSession,
  exportName: string,
  wf: Workflow<(...a: unknown[]) => unknown>,
  stdout: ReservedStdout,
): Promise<RemoteEnd> {
  const { target, flags, progress, client, embedded } = run;
  const handle = await wf.submit(...target.args);
  if (flags.detach) {
    stdout.write(flags.json ? `${JSON.stringify({ id: handle.id, monitorUrl: handle.monitorUrl, serverUrl: handle.serverUrl })}\n` : `${handle.id}\n`);
    progress.line(detachedHelp(handle.id, exportName, handle.serverUrl, handle.monitorUrl, flags.token !== undefined));
    return { detached: true };
  }
  progress.workflowStarted(handle.id, exportName, client.serverUrl);
  const stopFollowing = () => {
    if (embedded) {
      // The embedded server ends with this command: the workflow cannot run on without it.
      progress.line(`cancelling workflow ${handle.id}: its server ends with this command`);
      void handle
        .cancel()
        .catch(() => undefined)
        .then(() => embedded.stop())
        .finally(() => process.exit(130));
      return;
    }
    progress.line(`workflow ${handle.id} runs on; follow it at ${handle.monitorUrl}`);
    process.exit(130);
  };
  process.once("SIGINT", stopFollowing);
  try {
    const view = await followRemote(handle, client, progress);
    progress.line(`workflow ${view.id} ${view.status}`);
    if (view.status !== "finished" && view.status !== "subfinished") run.outcome = "failed";
    return { detached: false, value: workflowValue(view) };
  } finally {
    process.off("SIGINT", stopFollowing);
  }
}

/** Tells how to follow a workflow submitted with --detach, on stderr (stdout has only its id). */
function detachedHelp(id: number, name: string, serverUrl: string, monitorUrl: string, tokenFlag: boolean): string {
  const server = `--server ${serverUrl}${tokenFlag ? " --token <token>" : ""}`;
  const ways: Array<[string, string]> = [
    [`pando show ${id} ${server}`, "its status, tasks and errors"],
    [`pando ls ${server}`, "every workflow"],
    [monitorUrl, `its page in the web monitor (\`pando monitor ${server}\` prints a link that signs in)`],
  ];
  const width = Math.max(...ways.map(([how]) => how.length));
  return [
    `workflow ${id} (${name}) submitted to ${serverUrl}; it runs there without this command. Follow it with:`,
    ...ways.map(([how, what]) => `  ${how.padEnd(width)}  ${what}`),
  ].join("\n");
}

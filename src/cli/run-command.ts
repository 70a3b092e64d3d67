import { join, resolve } from "node:path";
import { inspect } from "node:util";
import { BundleCache } from "../bundle/cache.js";
import { bundleEntry, type Bundle } from "../bundle/bundler.js";
import { importForRegistrations } from "../bundle/load.js";
import { uploadBundle } from "../bundle/upload.js";
import { readCredentials } from "../server/credentials.js";
import { HttpPandoClient, type PandoClient } from "../sdk/client.js";
import { setDriverEnvironment } from "../sdk/driver-env.js";
import { registry } from "../sdk/registry.js";
import { workflowValue, type WorkflowHandle } from "../sdk/workflow-handle.js";
import type { Workflow } from "../sdk/workflow.js";
import type { WorkflowView } from "../api/workflows.js";
import { FINAL_TASK_STATUSES, FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import { dataDirInUseMessage, isDatabaseLocked } from "./data-dir-in-use.js";
import { startEmbedded, type Embedded } from "./embedded.js";
import { parseWorkflowArg } from "./parse.js";
import { Progress } from "./progress.js";
import { describeRunError, UsageError } from "./run-errors.js";
import { serverConfigFrom, type ServerFlags } from "./server-options.js";
import { reserveStdout, type ReservedStdout } from "./stdout-reserve.js";

export interface RunFlags extends ServerFlags {
  server?: string;
  token?: string;
  pilots?: number;
  slots?: number;
  queue?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  remote?: boolean;
  detach?: boolean;
  resume?: number;
  /** How long the embedded driver waits for its pilots' executors to be warm; 0: not at all. */
  warmWait?: number;
}

/** Default of --warm-wait: a bound, so that a pilot that never gets warm cannot hold the run back for long. */
const DEFAULT_WARM_WAIT_MS = 60_000;

const REMOTE_POLL_MS = 1000;
/** How often the run asks the server which jobs pilots hold and why tasks wait (the live display, the waits it says). */
const RUNNING_POLL_MS = 1000;

/** Follows a remote workflow's tasks on the progress display until the workflow ends; returns its view. */
async function followRemote(handle: WorkflowHandle<unknown>, client: PandoClient, progress: Progress): Promise<WorkflowView> {
  for (;;) {
    const view = await client.getWorkflow(handle.id, { waitMs: REMOTE_POLL_MS });
    progress.observe(view);
    for (const t of view.tasks) {
      if (t.kind !== "work") continue;
      progress.update({
        taskId: t.id,
        work: t.work,
        nJobs: t.nJobs,
        finished: t.nFinished,
        failed: t.nFailed,
        done: FINAL_TASK_STATUSES.has(t.status),
      });
    }
    if (FINAL_WORKFLOW_STATUSES.has(view.status)) return view;
  }
}

/**
 * Feeds the progress the server's view of the local workflows running here (the driver itself only learns
 * of jobs as they end): the live display on a terminal, and anywhere the tasks whose jobs cannot start.
 * Returns the function that stops it.
 */
function watchRunning(client: PandoClient, progress: Progress, workflows: () => number[]): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.all(workflows().map(async (id) => progress.observe(await client.getWorkflow(id))))
      // Only the display depends on it: a failed look leaves the last counts shown, and the run goes on.
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, RUNNING_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The command that resumes a workflow this run started, for the message of an interrupt. */
function resumeCommand(target: string, rawArgs: readonly string[], flags: RunFlags, workflowId: number): string {
  const quote = (a: string) => (/^[\w.,:/@%+=#-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  const { file, exportName } = splitTarget(target);
  const words = [exportName === undefined ? `${file}#<workflow> <its arguments>` : [target, ...rawArgs].map(quote).join(" ")];
  if (flags.server) words.push(`--server ${flags.server}`);
  // The embedded server's state is in the data directory: the same one must be given again (".pando" is the default).
  else if (flags.dataDir !== ".pando") words.push(`--data-dir ${quote(flags.dataDir)}`);
  return `pando run ${words.join(" ")} --resume ${workflowId}`;
}

function splitTarget(target: string): { file: string; exportName: string | undefined } {
  const hash = target.lastIndexOf("#");
  if (hash < 0) return { file: target, exportName: undefined };
  return { file: target.slice(0, hash), exportName: target.slice(hash + 1) };
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
function noWorkflowCalled(file: string, mod: Record<string, unknown>): UsageError {
  const workflows = exportedWorkflows(mod);
  const name =
    workflows.length > 0
      ? `name the one to call: pando run ${file}#${workflows[0]} [args…] (its workflows: ${workflows.join(", ")})`
      : "call a workflow from its top-level code, or export one and name it: pando run <file>#<export> [args…]";
  return new UsageError(`${file} called no workflow, so nothing ran: ${name}`);
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

/** Waits until every workflow this program started has ended. */
function tracker() {
  const active = new Set<number>();
  let idle: (() => void) | undefined;
  return {
    start: (id: number) => active.add(id),
    end: (id: number) => {
      active.delete(id);
      if (active.size === 0) idle?.();
    },
    settled: () => (active.size === 0 ? Promise.resolve() : new Promise<void>((r) => (idle = r))),
    active: () => [...active],
  };
}

/**
 * `pando run file.ts[#export] [args…]`: bundles the program, starts the embedded server and local pilots (or
 * uses --server), and runs the workflow here. With #export the named workflow is called with the arguments
 * (each parsed as JSON when it is JSON); without it the module's own top-level code runs.
 */
export async function runCommand(target: string, rawArgs: string[], flags: RunFlags): Promise<number> {
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
  const progress = new Progress(process.stderr, !flags.quiet);
  const config = serverConfigFrom(flags);
  let bundle = await bundleEntry(file);

  const runs = tracker();
  let embedded: Embedded | undefined;
  let client: PandoClient;
  if (serverUrl) {
    const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
    if (!token) {
      throw new Error(`no token for ${serverUrl}: pass --token, set PANDO_TOKEN, or run on the machine of its data directory`);
    }
    client = new HttpPandoClient(serverUrl, token);
  } else {
    embedded = await startEmbedded({
      config,
      pilots: flags.pilots,
      slots: flags.slots,
      // Rather than wait forever for jobs nobody can run, end the run with the reason.
      onPilotsGone: (reason) => {
        progress.line(reason);
        for (const id of runs.active()) void embedded?.server.services.workflows.killWorkflow(embedded.principal, id).catch(() => undefined);
      },
    }).catch((err: unknown) => {
      throw isDatabaseLocked(err) && !config.databaseUrl ? new UsageError(dataDirInUseMessage(config.dataDir)) : err;
    });
    client = embedded.client;
  }

  let outcome: "ok" | "failed" = "ok";
  // A driver stopped by a signal suspends its workflows before it goes (their unfinished jobs are stopped),
  // so that `--resume` can take them up again; one killed outright is suspended by the server when its
  // heartbeats stop. A second signal exits at once.
  let interrupted: Promise<never> | undefined;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interrupted) {
      progress.line(`${signal} again: exiting now`);
      process.exit(130);
    }
    const suspending = runs.active().map(async (id) => {
      try {
        await client.suspendWorkflow(id, { reason: `the driver was stopped by ${signal}` });
        progress.line(`${signal}: workflow ${id} suspended; resume it with ${resumeCommand(target, rawArgs, flags, id)}`);
      } catch (err) {
        progress.line(`${signal}: workflow ${id} could not be suspended: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    interrupted = Promise.all(suspending)
      .then(() => embedded?.stop())
      .finally(() => process.exit(130)) as Promise<never>;
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  // A driver whose workflow was killed or suspended ends without its body, which may still be busy: the
  // process exits once this command is done instead of waiting for it.
  let abandonedBody = false;
  const stopWatching = watchRunning(client, progress, runs.active);
  // --json with #export: stdout holds the result's JSON alone; what the driver prints goes to stderr. A program
  // run for its top-level code prints its own results, so its stdout stays its own.
  const stdout: ReservedStdout =
    flags.json && exportName !== undefined
      ? reserveStdout()
      : { write: (text) => void process.stdout.write(text), restore: () => undefined };
  let workflowsCalled = 0;
  // A bundle with packages left out (native modules) is imported from inside the project, where they are installed.
  const place = (b: Bundle) =>
    new BundleCache(
      b.environment ? join(b.environment.projectDir, "node_modules", ".cache", "pando") : resolve(join(config.dataDir, "cache")),
    ).put(b.hash, b.code);
  try {
    const bundlePath = place(bundle);
    let mod: Record<string, unknown> | undefined;
    if (exportName !== undefined) {
      mod = await importForRegistrations(bundlePath);
      registry().loading.active = false;
      // Packages the works ask to install rather than bundle: bundle again without them.
      const asked = [...registry().works.values(), ...registry().workflows.values()].flatMap((e) => e.options.dependencies ?? []);
      if (asked.some((d) => !(bundle.environment?.packages.includes(d) ?? false))) {
        bundle = await bundleEntry(file, { dependencies: asked });
        place(bundle);
      }
    }
    await uploadBundle(client, bundle);
    // The local pilots start their executors now, so the first work call costs what the later ones cost.
    const warmWait = flags.warmWait ?? DEFAULT_WARM_WAIT_MS;
    if (warmWait > 0) await embedded?.warm(bundle.hash, warmWait);
    let resume = flags.resume;
    setDriverEnvironment({
      client,
      queue: flags.queue,
      takeResume: () => {
        const id = resume;
        resume = undefined;
        return id;
      },
      bundle: async () => ({ hash: bundle.hash, lockfileHash: bundle.lockfileHash }),
      onWorkflowCall: () => workflowsCalled++,
      onWorkflowStart: (id, name) => {
        runs.start(id);
        progress.workflowStarted(id, name, client.serverUrl);
      },
      onDriverStopped: () => (abandonedBody = true),
      onWorkflowEnd: (id, status) => {
        progress.line(`workflow ${id} ${status}${status === "subfinished" ? " (some jobs failed)" : ""}`);
        // Subfinished: the body returned although some of its jobs failed; the run itself succeeded.
        if (status !== "finished" && status !== "subfinished") outcome = "failed";
        runs.end(id);
      },
      onProgress: (p) => progress.update(p),
      onWarning: (message) => progress.warn(message),
    });

    if (exportName === undefined) {
      const script = (await import(bundlePath)) as Record<string, unknown>;
      await runs.settled();
      if (workflowsCalled === 0) throw noWorkflowCalled(file, script);
      return outcome === "ok" ? 0 : 1;
    }

    if (!mod) {
      throw new UsageError(`${file} runs a workflow from its top-level code; run it as \`pando run ${file}\` (without #${exportName})`);
    }
    const wf = mod[exportName];
    if (typeof wf !== "function" || typeof (wf as { workflowName?: unknown }).workflowName !== "string") {
      throw notAWorkflow(file, exportName, mod);
    }
    let value: unknown;
    if (flags.remote) {
      const handle = await (wf as Workflow<(...a: unknown[]) => unknown>).submit(...args);
      if (flags.detach) {
        stdout.write(flags.json ? `${JSON.stringify({ id: handle.id, monitorUrl: handle.monitorUrl, serverUrl: handle.serverUrl })}\n` : `${handle.id}\n`);
        progress.line(detachedHelp(handle.id, exportName, handle.serverUrl, handle.monitorUrl, flags.token !== undefined));
        return 0;
      }
      progress.workflowStarted(handle.id, exportName, client.serverUrl);
      const stopFollowing = () => {
        if (embedded) {
          // The embedded server ends with this command: the workflow cannot run on without it.
          progress.line(`cancelling workflow ${handle.id}: its server ends with this command`);
          void handle
            .cancel()
            .catch(() => undefined)
            .then(() => embedded?.stop())
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
        if (view.status !== "finished" && view.status !== "subfinished") outcome = "failed";
        value = workflowValue(view);
      } finally {
        process.off("SIGINT", stopFollowing);
      }
    } else {
      value = await (wf as (...a: unknown[]) => Promise<unknown>)(...args);
    }
    progress.end();
    stdout.write(flags.json ? `${JSON.stringify(value ?? null)}\n` : `${inspect(value, { depth: 6, colors: process.stdout.isTTY })}\n`);
    return outcome === "ok" ? 0 : 1;
  } catch (err) {
    // Interrupted: the workflows are being suspended, and the process exits with the interrupt's code.
    if (interrupted) await interrupted;
    progress.end();
    process.stderr.write(`${describeRunError(err, { server: flags.server, verbose: flags.verbose === true })}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    if (interrupted) await interrupted;
    stopWatching();
    progress.end();
    stdout.restore();
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    setDriverEnvironment(undefined);
    await (embedded ? embedded.stop() : client.close());
    // After the exit code is set from what this returns (timers run after that microtask).
    if (abandonedBody) setTimeout(() => process.exit(), 0).unref();
  }
}

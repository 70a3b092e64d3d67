import { join, resolve } from "node:path";
import { inspect } from "node:util";
import { BundleCache } from "../bundle/cache.js";
import { bundleEntry, type Bundle } from "../bundle/bundler.js";
import { importForRegistrations } from "../bundle/load.js";
import { uploadBundle } from "../bundle/upload.js";
import { readCredentials } from "../server/credentials.js";
import { HttpPandoClient, type PandoClient } from "../sdk/client.js";
import { setDriverEnvironment } from "../sdk/driver-env.js";
import { JobError, TaskFailedError } from "../sdk/errors.js";
import { registry } from "../sdk/registry.js";
import { workflowValue, type WorkflowHandle } from "../sdk/workflow-handle.js";
import type { Workflow } from "../sdk/workflow.js";
import type { WorkflowView } from "../core/protocol.js";
import { FINAL_TASK_STATUSES, FINAL_WORKFLOW_STATUSES } from "../core/states.js";
import { startEmbedded, type Embedded } from "./embedded.js";
import { parseWorkflowArg } from "./parse.js";
import { Progress } from "./progress.js";
import { serverConfigFrom, type ServerFlags } from "./server-options.js";

export interface RunFlags extends ServerFlags {
  server?: string;
  token?: string;
  pilots?: number;
  slots?: number;
  queue?: string;
  json?: boolean;
  quiet?: boolean;
  remote?: boolean;
  detach?: boolean;
  resume?: number;
}

const REMOTE_POLL_MS = 1000;
/** How often a terminal's live display asks the server which jobs pilots hold. */
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
 * Feeds the live display the server's view of the local workflows running here (the driver itself only
 * learns of jobs as they end). Returns the function that stops it.
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

function splitTarget(target: string): { file: string; exportName: string | undefined } {
  const hash = target.lastIndexOf("#");
  if (hash < 0) return { file: target, exportName: undefined };
  return { file: target.slice(0, hash), exportName: target.slice(hash + 1) };
}

function describeError(err: unknown): string {
  if (err instanceof TaskFailedError) {
    return [err.message, ...err.errors.slice(0, 3).map((e) => `  job ${e.jobId ?? e.index}: ${e.stack ?? e.message}`)].join("\n");
  }
  if (err instanceof JobError) return err.stack ?? err.message;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
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
  if ((flags.remote || flags.resume !== undefined) && exportName === undefined) {
    throw new Error(`--remote and --resume need the workflow to call: pando run ${file}#<export>`);
  }
  if (flags.detach && !(flags.remote && flags.server)) {
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
  if (flags.server) {
    const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
    if (!token) {
      throw new Error(`no token for ${flags.server}: pass --token, set PANDO_TOKEN, or run on the machine of its data directory`);
    }
    client = new HttpPandoClient(flags.server, token);
  } else {
    embedded = await startEmbedded({
      config,
      pilots: flags.pilots,
      slots: flags.slots,
      // Rather than wait forever for jobs nobody can run, end the run with the reason.
      onPilotsGone: (reason) => {
        progress.line(reason);
        for (const id of runs.active()) void embedded?.server.service.killWorkflow(embedded.principal, id).catch(() => undefined);
      },
    });
    client = embedded.client;
  }

  let outcome: "ok" | "failed" = "ok";
  // A driver stopped by a signal closes its workflows (their unfinished tasks are cancelled) before it goes;
  // one killed outright is found by the server when its heartbeats stop.
  const interrupt = (signal: NodeJS.Signals) => {
    progress.line(`${signal}: closing ${runs.active().length} running workflow(s)`);
    const closing = runs.active().map((id) =>
      client
        .closeWorkflow(id, { outcome: "threw", error: { name: "Interrupted", message: `the driver was stopped by ${signal}` } })
        .catch(() => undefined),
    );
    void Promise.all(closing)
      .then(() => embedded?.stop())
      .finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const stopWatching = progress.live ? watchRunning(client, progress, runs.active) : () => undefined;
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
    await embedded?.warm(bundle.hash);
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
      onWorkflowStart: (id, name) => {
        runs.start(id);
        progress.workflowStarted(id, name, client.serverUrl);
      },
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
      await import(bundlePath);
      await runs.settled();
      return outcome === "ok" ? 0 : 1;
    }

    if (!mod) {
      throw new Error(`${file} runs a workflow from its top-level code; run it as \`pando run ${file}\` (without #${exportName})`);
    }
    const wf = mod[exportName];
    if (typeof wf !== "function" || typeof (wf as { workflowName?: unknown }).workflowName !== "string") {
      const found = Object.keys(mod).join(", ") || "none";
      throw new Error(`${file} has no exported workflow '${exportName}' (exports: ${found}); wrap the driver with workflow()`);
    }
    const args = rawArgs.map(parseWorkflowArg);
    let value: unknown;
    if (flags.remote) {
      const handle = await (wf as Workflow<(...a: unknown[]) => unknown>).submit(...args);
      if (flags.detach) {
        process.stdout.write(flags.json ? `${JSON.stringify({ id: handle.id, monitorUrl: handle.monitorUrl })}\n` : `${handle.id}\n`);
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
    process.stdout.write(
      flags.json ? `${JSON.stringify(value ?? null)}\n` : `${inspect(value, { depth: 6, colors: process.stdout.isTTY })}\n`,
    );
    return outcome === "ok" ? 0 : 1;
  } catch (err) {
    progress.end();
    process.stderr.write(`${describeError(err)}\n`);
    return 1;
  } finally {
    stopWatching();
    progress.end();
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    setDriverEnvironment(undefined);
    await (embedded ? embedded.stop() : client.close());
  }
}

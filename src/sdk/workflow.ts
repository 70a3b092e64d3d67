import { fileURLToPath } from "node:url";
import { acquireResultChannel, releaseResultChannel } from "../bus/result-channel.js";
import { encode } from "../codec/tagged-json.js";
import type { WorkflowView } from "../core/protocol.js";
import type { PandoClient } from "./client.js";
import { withRun, type RunContext } from "./context.js";
import { driverEnvironment } from "./driver-env.js";
import { environmentFromProcess } from "./env-from-process.js";
import { WorkflowError } from "./errors.js";
import type { WorkflowOptions } from "./options.js";
import { registerWorkflow, registry, type AnyFn } from "./registry.js";

type Fn = (...args: never[]) => unknown;

/** A function registered with `workflow()`: calling it runs the driver here, its work calls as tasks. */
export interface Workflow<F extends Fn> {
  (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  readonly workflowName: string;
  readonly options: Readonly<WorkflowOptions>;
}

const SDK_DIR = fileURLToPath(new URL("../", import.meta.url));
const FINAL_STATUS_WAIT_MS = 60_000;

/** The file whose top-level code called workflow(): the entry to bundle when no `pando run` did. */
function callerFile(): string | undefined {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    if (!file.startsWith(SDK_DIR)) return file;
  }
  return undefined;
}

/**
 * The workflow's status once the server's copy has caught up: results that came through the broker may
 * reach the driver before the server has read them, and the status follows the server's copy.
 */
async function finalStatus(client: PandoClient, view: WorkflowView): Promise<string> {
  const deadline = Date.now() + FINAL_STATUS_WAIT_MS;
  let current = view;
  while (current.status === "running" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    current = await client.getWorkflow(view.id);
  }
  return current.status;
}

function errorFields(err: unknown): { name?: string; message: string; stack?: string } {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

/**
 * Registers `fn` as a workflow. Calling it runs the body in this process; its work calls become tasks of one
 * workflow on the server (or run here, with `distributed: false`), and it resolves to the body's value.
 */
export function workflow<F extends Fn>(fn: F): Workflow<F>;
export function workflow<F extends Fn>(options: WorkflowOptions, fn: F): Workflow<F>;
export function workflow(a: WorkflowOptions | Fn, b?: Fn): Workflow<Fn> {
  const options: WorkflowOptions = typeof a === "function" ? {} : a;
  const fn = (typeof a === "function" ? a : b) as AnyFn | undefined;
  if (typeof fn !== "function") throw new TypeError("workflow() needs a function: workflow(options, fn) or workflow(fn)");
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError("workflow() needs a name for an anonymous function: workflow({ name: \"optimize\" }, fn)");
  registerWorkflow({ name, fn, options });
  const definedIn = callerFile();
  const body = fn as (...a: unknown[]) => unknown;

  const runDistributed = async (args: unknown[]): Promise<unknown> => {
    const env = driverEnvironment() ?? environmentFromProcess();
    if (!env) {
      throw new WorkflowError(
        `workflow '${name}' has no Pando server to run on: start it with \`pando run <file>#${name}\`, ` +
          "set PANDO_SERVER and PANDO_TOKEN, or use workflow({ distributed: false }) to run everything in this process",
      );
    }
    const { hash, lockfileHash } = await env.bundle(definedIn);
    const queue = options.queue ?? env.queue;
    const { id } = await env.client.createWorkflow({
      name,
      mode: "local",
      queue,
      bundleHash: hash,
      nodeVersion: process.version,
      lockfileHash: lockfileHash ?? undefined,
    });
    env.onWorkflowStart?.(id, name);
    const ctx: RunContext = {
      workflowId: id,
      distributed: true,
      client: env.client,
      results: await acquireResultChannel(env.client, env.onWarning),
      bundleHash: hash,
      queue,
      nextSeq: 0,
      completeTasks: [],
      onProgress: env.onProgress,
    };
    const closeAsFailed = async (err: unknown) => {
      const view = await env.client
        .closeWorkflow(id, { outcome: "threw", error: errorFields(err), completeTasks: ctx.completeTasks })
        .catch(() => undefined);
      env.onWorkflowEnd?.(id, view?.status ?? "failed");
    };
    let value: unknown;
    let result: string;
    try {
      value = await withRun(ctx, () => body(...args));
      result = encode(value, { root: "result" });
    } catch (err) {
      await closeAsFailed(err);
      throw err;
    } finally {
      await releaseResultChannel(env.client);
    }
    const view = await env.client.closeWorkflow(id, { outcome: "returned", result, completeTasks: ctx.completeTasks });
    env.onWorkflowEnd?.(id, await finalStatus(env.client, view));
    return value;
  };

  const wf = ((...args: unknown[]) => {
    const loading = registry().loading;
    if (loading.active) {
      // A worker imports the module only for its registrations: the driver must not run again there.
      loading.onDriverCall?.();
      return new Promise<never>(() => undefined);
    }
    if (options.distributed === false) {
      const ctx: RunContext = {
        workflowId: null,
        distributed: false,
        client: undefined,
        results: undefined,
        bundleHash: undefined,
        queue: undefined,
        nextSeq: 0,
        completeTasks: [],
        onProgress: undefined,
      };
      return Promise.resolve().then(() => withRun(ctx, () => body(...args)));
    }
    return runDistributed(args);
  }) as unknown as Workflow<Fn>;
  Object.defineProperties(wf, {
    workflowName: { value: name },
    options: { value: Object.freeze({ ...options }) },
  });
  return wf;
}

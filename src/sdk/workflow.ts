import { encode } from "../codec/tagged-json.js";
import { firstFileOutside, PANDO_CODE } from "./caller-file.js";
import { withRun, type RunContext } from "./context.js";
import { driverEnvironment } from "./driver-env.js";
import { WorkflowError } from "./errors.js";
import type { WorkflowOptions } from "./options.js";
import { registerWorkflow, registry, type AnyFn } from "./registry.js";
import { WorkflowHandle } from "./workflow-handle.js";

type Fn = (...args: never[]) => unknown;

/** A function registered with `workflow()`: calling it runs the driver here, its work calls as tasks. */
export interface Workflow<F extends Fn> {
  (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>>;
  /**
   * Remote mode: uploads the code, creates the workflow and its driver task, and returns at once; a pilot
   * runs the body, and a new pilot runs it again (finished work calls returning from memory) if one dies.
   */
  submit(...args: Parameters<F>): Promise<WorkflowHandle<Awaited<ReturnType<F>>>>;
  readonly workflowName: string;
  readonly options: Readonly<WorkflowOptions>;
}

/** The driver's arguments as tagged JSON, or undefined for a local run whose arguments cannot travel. */
function encodedArgs(args: unknown[], required: boolean): string | undefined {
  try {
    return encode(args, { root: "args", what: "argument set" });
  } catch (err) {
    if (required) throw err;
    return undefined;
  }
}

function noServer(name: string): WorkflowError {
  return new WorkflowError(
    `workflow '${name}' has no Pando server to run on: start it with \`pando run <file>#${name}\`, ` +
      "set PANDO_SERVER and PANDO_TOKEN, or use workflow({ distributed: false }) to run everything in this process",
  );
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
  // The file whose top-level code called workflow(): the entry to bundle when no `pando run` did.
  const definedIn = firstFileOutside(PANDO_CODE);
  const body = fn as (...a: unknown[]) => unknown;

  // The driver's code (its client, its result channel and their schemas) loads with the first workflow call:
  // a worker that imports the module for its works never loads it.
  const environment = async () => {
    const env = driverEnvironment() ?? (await import("./env-from-process.js")).environmentFromProcess();
    if (!env) throw noServer(name);
    return env;
  };

  const runDistributed = async (args: unknown[]): Promise<unknown> => {
    const env = await environment();
    const { executeDriver } = await import("./driver-run.js");
    const { hash, lockfileHash, projectHash } = await env.bundle(definedIn);
    const queue = options.queue ?? env.queue;
    const encoded = encodedArgs(args, false);
    const resume = env.takeResume?.(name);
    const started =
      resume === undefined
        ? await env.client.createWorkflow({
            name,
            mode: "local",
            queue,
            bundleHash: hash,
            projectHash,
            nodeVersion: process.version,
            lockfileHash: lockfileHash ?? undefined,
            args: encoded,
            seed: options.seed,
          })
        : await env.client.resumeWorkflow(resume, { name, args: encoded });
    env.onWorkflowStart?.(started.id, name);
    const outcome = await executeDriver({
      client: env.client,
      workflowId: started.id,
      seed: started.seed,
      bundleHash: hash,
      projectHash,
      queue,
      body,
      args,
      heartbeatMs: started.driverHeartbeatMs,
      onProgress: env.onProgress,
      onWarning: env.onWarning,
      workDefaults: { initEnv: options.initEnv, container: options.container },
    });
    env.onWorkflowEnd?.(started.id, outcome.view?.status ?? "failed");
    if (!outcome.ok && outcome.stopped) env.onDriverStopped?.(started.id);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };

  const submit = async (args: unknown[]): Promise<WorkflowHandle<unknown>> => {
    const env = await environment();
    env.onWorkflowCall?.(name);
    const { hash, lockfileHash, projectHash } = await env.bundle(definedIn);
    const { id } = await env.client.createWorkflow({
      name,
      mode: "remote",
      queue: options.queue ?? env.queue,
      driverQueue: options.driverQueue,
      bundleHash: hash,
      projectHash,
      nodeVersion: process.version,
      lockfileHash: lockfileHash ?? undefined,
      args: encodedArgs(args, true),
      seed: options.seed,
    });
    return new WorkflowHandle(id, env.client);
  };

  /** A worker imports the module only for its registrations: a call or submission at its top level must not run there. */
  const importedForRegistrations = (): boolean => {
    const loading = registry().loading;
    if (loading.active) loading.onDriverCall?.();
    return loading.active;
  };

  const wf = ((...args: unknown[]) => {
    if (importedForRegistrations()) return new Promise<never>(() => undefined);
    driverEnvironment()?.onWorkflowCall?.(name);
    if (options.distributed === false) {
      const ctx: RunContext = {
        workflowId: null,
        distributed: false,
        client: undefined,
        results: undefined,
        bundleHash: undefined,
        queue: undefined,
        nextSeq: 0,
        nextStep: 0,
        steps: undefined,
        random: Math.random,
        completeTasks: [],
        onProgress: undefined,
      };
      return Promise.resolve().then(() => withRun(ctx, () => body(...args)));
    }
    return runDistributed(args);
  }) as unknown as Workflow<Fn>;
  Object.defineProperties(wf, {
    submit: { value: (...args: unknown[]) => (importedForRegistrations() ? new Promise<never>(() => undefined) : submit(args)) },
    workflowName: { value: name },
    options: { value: Object.freeze({ ...options }) },
  });
  return wf;
}

// What a workflow's body may use to stay deterministic: a driver can run more than once (its pilot died,
// or `pando run --resume`), and every run must make the same work calls in the same order to find the
// results of the runs before it.
import { ApiError } from "../api/errors.js";
import { decode, encode } from "../codec/tagged-json.js";
import { currentRun, type RunContext } from "./context.js";
import { WorkflowError } from "./errors.js";

export interface WorkflowContext {
  /** The workflow's id on the server; null in a workflow({ distributed: false }) run. */
  readonly workflowId: number | null;
  /** A number in [0, 1) from a generator seeded per workflow: every run of the driver draws the same ones. */
  random(): number;
  /** The time (ms since the epoch) when this point of the driver was first reached; the same on every run. */
  now(): Promise<number>;
  /**
   * Runs `fn` the first time the driver reaches this step and records its value; later runs of the driver
   * get the recorded value without running `fn`. For anything outside the driver's arguments and results:
   * reading a file, asking a service, the current time.
   */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<Awaited<T>>;
}

async function recordedSteps(ctx: RunContext, workflowId: number): Promise<Map<number, { name: string; value: string }>> {
  ctx.steps ??= ctx.client!.steps(workflowId).then((rows) => new Map(rows.map((r) => [r.seq, r])));
  return ctx.steps;
}

async function step<T>(ctx: RunContext, name: string, fn: () => T | Promise<T>): Promise<Awaited<T>> {
  const seq = ctx.nextStep++;
  const workflowId = ctx.workflowId;
  if (!ctx.distributed || !ctx.client || workflowId === null) return (await fn()) as Awaited<T>;
  const recorded = (await recordedSteps(ctx, workflowId)).get(seq);
  if (recorded) {
    if (recorded.name !== name) {
      throw new WorkflowError(
        `step #${seq} of workflow ${workflowId} is '${name}' in this run but was '${recorded.name}' when it first ran: ` +
          "the driver is not deterministic (see docs/durability.md)",
      );
    }
    return decode(recorded.value) as Awaited<T>;
  }
  const value = await fn();
  const text = encode(value, { root: `step '${name}'`, what: "step value" });
  try {
    const stored = await ctx.client.putStep(workflowId, seq, { name, value: text });
    // Two runs raced to record it: the first value is everyone's.
    return decode(stored.value) as Awaited<T>;
  } catch (err) {
    if (err instanceof ApiError && err.code === "non_deterministic") throw new WorkflowError(err.message);
    throw err;
  }
}

/** The context of the workflow body this code runs in; throws outside a workflow body. */
export function context(): WorkflowContext {
  const ctx = currentRun();
  if (!ctx) {
    throw new WorkflowError("context() is only available inside a workflow body (a function wrapped by workflow())");
  }
  return {
    workflowId: ctx.workflowId,
    random: () => ctx.random(),
    now: () => step(ctx, "now", () => Date.now()),
    step: (name, fn) => step(ctx, name, fn),
  };
}

import { ApiError } from "../api/errors.js";
import { currentRun } from "./context.js";
import { kwargsJobs, mapJobs, singleJob, type JobSpec, type KwargsEntry, type WithOptions } from "./entries.js";
import { TaskFailedError } from "./errors.js";
import { MapResult } from "./map-result.js";
import { objectiveProblem } from "../core/objective.js";
import type { WorkOptions } from "./options.js";
import { jobErrorOf, type Outcome } from "./outcome.js";
import { registerWork, type AnyFn } from "./registry.js";
import { runLocal, runRemote, type WorkCall } from "./runner.js";
import { TaskRun } from "./task-run.js";

type Fn = (...args: never[]) => unknown;
type Args<F extends Fn> = Parameters<F>;
type Result<F extends Fn> = Awaited<ReturnType<F>>;

/** What a call of many jobs resolves to: a list of the successful values, or a MapResult. */
export type ManyResult<E, R, M extends boolean> = M extends true ? MapResult<E, R> : R[];

/** A function registered with `work()`: called inside a running workflow, each call is a distributed task. */
export interface Work<F extends Fn, M extends boolean> {
  /** One job: resolves to the value, or rejects with a JobError carrying the remote message and stack. */
  (...args: Args<F>): TaskRun<Result<F>, Args<F>, Result<F>>;
  /** One task with a job per argument tuple, submitted in one request. */
  map(entries: ReadonlyArray<Args<F>>): TaskRun<ManyResult<Args<F>, Result<F>, M>, Args<F>, Result<F>>;
  /** The iDDS form: one job per multiJobsKwargsList entry, with preKwargs as defaults. */
  with<K extends KwargsEntry>(
    options: WithOptions<K> & { multiJobsKwargsList: readonly K[] },
  ): (...args: Args<F>) => TaskRun<ManyResult<K, Result<F>, M>, K, Result<F>>;
  with(options: Omit<WithOptions, "multiJobsKwargsList">): (...args: Args<F>) => TaskRun<Result<F>, Args<F>, Result<F>>;
  /** Runs the function here, now, whatever the context. */
  local(...args: Args<F>): Promise<Result<F>>;
  readonly workName: string;
  readonly options: Readonly<WorkOptions>;
}

export type MapFlag<O extends WorkOptions> = O["mapResults"] extends true ? true : false;

function shapeOne(outcomes: readonly Outcome[], taskId: number | null): unknown {
  const o = outcomes[0]!;
  if (o.state !== "finished") throw jobErrorOf(o, taskId);
  return o.value;
}

function shapeList(name: string) {
  return (outcomes: readonly Outcome[], taskId: number | null): unknown[] => {
    const ok = outcomes.filter((o) => o.state === "finished");
    if (ok.length === 0) throw new TaskFailedError(taskId, name, outcomes.map((o) => jobErrorOf(o, taskId)));
    return ok.map((o) => o.value);
  };
}

/**
 * Registers `fn` as a work. Inside a running workflow each call becomes a task; outside any workflow the
 * function simply runs here.
 */
export function work<F extends Fn>(fn: F): Work<F, false>;
export function work<const O extends WorkOptions, F extends Fn>(options: O, fn: F): Work<F, MapFlag<O>>;
export function work(a: WorkOptions | Fn, b?: Fn): Work<Fn, boolean> {
  const options: WorkOptions = typeof a === "function" ? {} : a;
  const fn = (typeof a === "function" ? a : b) as AnyFn | undefined;
  if (typeof fn !== "function") throw new TypeError("work() needs a function: work(options, fn) or work(fn)");
  const name = options.name ?? fn.name;
  if (!name) throw new TypeError("work() needs a name for an anonymous function: work({ name: \"evaluate\" }, fn)");
  return defineWork(name, fn, options);
}

/** What a kind of work (a command work) adds to a plain one. */
export interface WorkKind {
  /** Checks a call's jobs before anything runs or is submitted; throws to refuse the call. */
  checkJobs?(jobs: readonly JobSpec[]): void;
  /** The user's own function when `fn` wraps it: two definitions of one name differ when it does. */
  source?: AnyFn;
}

/** Registers `fn` under `name` and returns the callable work (work() and command() share it). */
export function defineWork(name: string, fn: AnyFn, options: WorkOptions, kind: WorkKind = {}): Work<Fn, boolean> {
  const badObjective = options.objective === undefined ? undefined : objectiveProblem(options.objective);
  if (badObjective !== undefined) throw new TypeError(`work '${name}': objective ${badObjective}`);
  registerWork({ name, fn, options, source: kind.source });

  const call = (jobs: JobSpec[], inputs: readonly unknown[], shape: (o: readonly Outcome[], t: number | null) => unknown) => {
    kind.checkJobs?.(jobs);
    const ctx = currentRun();
    // The call's number is taken now, in call order, not when its submission gets going: concurrent calls
    // of a re-run driver must get the same numbers as in the first run.
    const seq = ctx?.distributed ? ctx.nextSeq++ : 0;
    const workCall: WorkCall = { name, fn, options, jobs, seq };
    return new TaskRun<unknown, unknown, unknown>({
      inputs,
      shape,
      start: (sink) => {
        if (ctx?.distributed) return runRemote(ctx, workCall, sink);
        // Outside a workflow the function runs here as it is; in a non-distributed workflow it runs here
        // with the same encoding as a distributed run, so both behave alike.
        return runLocal(workCall, sink, ctx !== undefined);
      },
      cancel: async (taskId, controller) => {
        if (!(ctx?.distributed && ctx.client)) {
          controller.abort(new Error(`the ${name} call was cancelled`));
          return;
        }
        // Not submitted yet: the run kills the task as soon as the server gives its id, and the call ends
        // as any killed call does (its jobs cancelled with code `killed`).
        if (taskId === null) return;
        try {
          await ctx.client.killTask(taskId);
        } catch (err) {
          // Cancelling a task that already ended changes nothing.
          if (!(err instanceof ApiError && err.status === 409)) throw err;
        }
      },
    });
  };
  const many = options.mapResults
    ? (inputs: readonly unknown[]) => (outcomes: readonly Outcome[], taskId: number | null) =>
        new MapResult(taskId, inputs, outcomes)
    : () => shapeList(name);

  const w = ((...args: unknown[]) => call(singleJob(args), [args], shapeOne)) as unknown as Work<Fn, boolean>;
  Object.defineProperties(w, {
    workName: { value: name },
    options: { value: Object.freeze({ ...options }) },
    map: {
      value: (entries: readonly unknown[]) => {
        const jobs = mapJobs(entries, options.mapResults === true);
        return call(jobs, entries, many(entries));
      },
    },
    with: {
      value:
        (opts: WithOptions) =>
        (...args: unknown[]) => {
          const jobs = kwargsJobs(args, opts);
          if (opts.multiJobsKwargsList === undefined) return call(jobs, [args], shapeOne);
          return call(jobs, opts.multiJobsKwargsList, many(opts.multiJobsKwargsList));
        },
    },
    local: { value: async (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args) },
  });
  return w;
}

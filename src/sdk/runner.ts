import { DEFAULT_MAX_PAYLOAD_BYTES, parseByteSize } from "../codec/limits.js";
import { durationMs } from "../core/duration.js";
import { hopAt, tracingHops } from "../core/hop-trace.js";
import { MAX_COMPLETE_TASKS } from "../core/list-limits.js";
import { decode, encode } from "../codec/tagged-json.js";
import { type ErrorInfo, killedError } from "../core/errors.js";
import { DEFAULT_MAX_ATTEMPTS, decideAfterAttempt } from "../core/retry-policy.js";
import { withJob, type RunContext } from "./context.js";
import type { JobSpec } from "./entries.js";
import { errorInfoOf } from "./error-info.js";
import type { WorkOptions } from "./options.js";
import type { Outcome } from "./outcome.js";
import type { AnyFn } from "./registry.js";
import { epochNow } from "../core/epoch-clock.js";

/** A work call in progress: receives each job's outcome once, as it becomes final. */
export interface OutcomeSink {
  onTaskId(taskId: number): void;
  onOutcome(outcome: Outcome): void;
  readonly signal: AbortSignal;
}

export interface WorkCall {
  name: string;
  fn: AnyFn;
  options: WorkOptions;
  jobs: JobSpec[];
  /** Position of the call in its driver (its memo key, with the work and arguments). */
  seq: number;
}

/** Where a call may run and what its jobs need, as the server takes them. */
function placement(options: WorkOptions, workflowQueue: string | undefined) {
  const queue = options.queue ?? workflowQueue;
  const memory = options.memory;
  const walltime = options.walltime;
  return {
    queue: typeof queue === "string" ? queue : undefined,
    queues: typeof queue === "string" || queue === undefined ? undefined : [...queue],
    cores: options.cores,
    memoryMb: memory === undefined ? undefined : typeof memory === "number" ? memory : Math.ceil(parseByteSize(memory) / 2 ** 20),
    walltimeS: walltime === undefined ? undefined : Math.ceil((typeof walltime === "number" ? walltime : walltimeMs(walltime)) / 1000),
  };
}

function walltimeMs(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new TypeError(`walltime '${text}' is not a duration; write e.g. 90s, 30m or 2h, or milliseconds`);
  return ms;
}

function argsRoot(call: WorkCall, i: number): string {
  return call.jobs.length === 1 ? "args" : `entries[${i}]`;
}

function encodeJobs(call: WorkCall): Array<{ key: string; args: string }> {
  return call.jobs.map((job, i) => ({
    key: job.key,
    args: encode(job.args, { root: argsRoot(call, i), limitBytes: DEFAULT_MAX_PAYLOAD_BYTES, what: "argument set" }),
  }));
}

/**
 * Submits a work call as one task of N jobs in one request (or, when the driver runs again, attaches to
 * the task the same call made in an earlier run), then collects the jobs' final outcomes (from
 * the broker, or the server's long-poll) until every job has one. Outcomes are de-duplicated by job key:
 * the first final state of a job wins, so a repeated delivery can never count twice, and completion is
 * decided by the jobs' final states, not by counting messages.
 */
export async function runRemote(ctx: RunContext, call: WorkCall, sink: OutcomeSink): Promise<void> {
  const client = ctx.client;
  if (!client || !ctx.results || ctx.workflowId === null || ctx.bundleHash === undefined) {
    throw new Error("internal: a distributed work call needs a client, a result channel, a workflow and a bundle");
  }
  const tCall = tracingHops() ? epochNow() : 0;
  // Encoded before anything is opened (an argument that cannot be encoded fails the call here). The request
  // takes them out of `submission` (splice), so that once sent they are not kept while the call waits for
  // its results: a large call's encoded arguments are tens of megabytes.
  const submission = { jobs: encodeJobs(call) };
  // Listening starts before submitting: a fast job's result cannot slip by.
  const results = await ctx.results.openTask();
  let taskId: number;
  let attached: boolean;
  let pendingReason: string | undefined;
  let resultKey: string;
  const tSent = tracingHops() ? epochNow() : 0;
  try {
    ({ id: taskId, attached, pendingReason, resultKey } = await client.submitTask(ctx.workflowId, {
      work: call.name,
      bundleHash: ctx.bundleHash,
      projectHash: ctx.projectHash,
      seq: call.seq,
      ...placement(call.options, ctx.queue),
      initEnv: call.options.initEnv ?? ctx.workDefaults?.initEnv,
      container: call.options.container ?? ctx.workDefaults?.container,
      maxAttempts: call.options.maxAttempts,
      priority: call.options.priority,
      objective: call.options.objective,
      channel: results.channel,
      jobs: submission.jobs.splice(0),
    }));
  } catch (err) {
    ctx.results.forget(results);
    throw err;
  }
  if (tracingHops()) {
    hopAt("driver.call", taskId, 0, 0, tCall);
    hopAt("driver.submit_sent", taskId, 0, 0, tSent);
    hopAt("driver.submit_answered", taskId, 0, 0, epochNow());
  }
  sink.onTaskId(taskId);
  if (pendingReason) ctx.onNotice?.(`task ${taskId} (${call.name}) waits for a queue: ${pendingReason}`);
  // The jobs still to hear of: a job's first final outcome wins and takes it out, so a repeat is ignored.
  const waiting = new Map(call.jobs.map((j, i) => [j.key, i]));
  // Pilots' and queues' names and the states, the same few for every job of a large task, kept once.
  const names = new Map<string, string>();
  const once = <S extends string>(name: S): S => (names.get(name) as S | undefined) ?? (names.set(name, name), name);
  let finished = 0;
  let failed = 0;
  await results.collect(
    taskId,
    resultKey,
    call.jobs.map((j) => j.key),
    (outcomes, via) => {
      const tWoken = tracingHops() ? epochNow() : 0;
      for (const r of outcomes) {
        const index = waiting.get(r.key);
        if (index === undefined) continue;
        waiting.delete(r.key);
        const outcome: Outcome = {
          index,
          key: call.jobs[index]!.key,
          jobId: r.jobId,
          state: once(r.state),
          attempts: r.attempts,
          startedAt: r.startedAt,
          endedAt: r.endedAt,
          pilot: r.pilot === null ? null : once(r.pilot),
          queue: once(r.queue),
          reportedVia: r.via === null ? null : once(r.via),
          receivedVia: via,
        };
        if (r.state === "finished") {
          outcome.value = r.result === undefined ? undefined : decode(r.result);
          finished++;
        } else {
          outcome.error = r.error;
          failed++;
        }
        if (tracingHops() && r.jobId !== null) {
          hopAt("driver.woken", taskId, r.jobId, r.attempts, tWoken);
          hopAt("driver.decoded", taskId, r.jobId, r.attempts, epochNow());
        }
        sink.onOutcome(outcome);
      }
      ctx.onProgress?.({
        taskId,
        work: call.name,
        nJobs: call.jobs.length,
        finished,
        failed,
        done: waiting.size === 0,
      });
    },
    () => waiting.size === 0,
    sink.signal,
    // A task of an earlier run of the driver publishes on that run's channel: read the server's copy.
    attached,
  );
  ctx.completeTasks.push(taskId);
  // The server takes the most recent ones: older tasks' results were recorded long before the workflow closes.
  if (ctx.completeTasks.length > MAX_COMPLETE_TASKS) ctx.completeTasks.shift();
}

/**
 * Runs a work call in this process, job after job in input order, with the same retries, encoding and
 * outcomes as a distributed run (workflow({ distributed: false })). With `roundTrip` false (a work called
 * outside any workflow) the arguments and values are passed as they are.
 */
export async function runLocal(call: WorkCall, sink: OutcomeSink, roundTrip: boolean): Promise<void> {
  const maxAttempts = call.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let index = 0; index < call.jobs.length; index++) {
    const job = call.jobs[index]!;
    const outcome: Outcome = {
      index,
      key: job.key,
      jobId: null,
      state: "failed",
      attempts: 0,
      startedAt: Date.now(),
      endedAt: null,
      pilot: null,
      queue: "in-process",
      reportedVia: null,
      receivedVia: "in-process",
    };
    if (sink.signal.aborted) {
      sink.onOutcome({ ...outcome, state: "cancelled", error: killedError("the call was cancelled") });
      continue;
    }
    const args = roundTrip ? (decode(encode(job.args, { root: argsRoot(call, index) })) as unknown[]) : job.args;
    let counters = { failures: 0, systemFailures: 0, maxAttempts, maxSystemRetries: 0 };
    for (;;) {
      outcome.attempts++;
      const info = { jobId: 0, taskId: 0, workflowId: 0, attempt: outcome.attempts, index, key: job.key };
      let error: ErrorInfo | undefined;
      try {
        const value = await withJob(info, () => (call.fn as (...a: unknown[]) => unknown)(...args));
        try {
          outcome.value = roundTrip ? decode(encode(value, { root: "result" })) : value;
        } catch (err) {
          error = errorInfoOf(err, "unserialisable_result");
        }
      } catch (err) {
        error = errorInfoOf(err, "user_error");
      }
      const decision = decideAfterAttempt(
        counters,
        error ? { ok: false, code: error.code, nonRetryable: error.nonRetryable !== undefined } : { ok: true },
      );
      counters = { ...counters, failures: decision.failures };
      if (decision.next === "activated") continue;
      outcome.state = decision.next;
      if (error) outcome.error = error;
      break;
    }
    outcome.endedAt = Date.now();
    sink.onOutcome(outcome);
  }
}

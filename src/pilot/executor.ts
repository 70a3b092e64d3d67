// An executor: a warm child process of a pilot that imports one code bundle once and then runs many jobs,
// one at a time, in the order the pilot sends them. Started as `node executor.js <bundle file>`.
import { rmSync } from "node:fs";
import { SHIPPED_PROJECT_DIR_KEY } from "../bundle/project-dir.js";
import { importForRegistrations } from "../sdk/import-registrations.js";
import { CodecError, decode, encode } from "../codec/tagged-json.js";
import type { DispatchedJob } from "../core/dispatch-records.js";
import { withJob } from "../sdk/context.js";
import { errorInfoOf } from "../sdk/error-info.js";
import { registry } from "../sdk/registry.js";
import { CappedOutput } from "./capture.js";
import type { FromExecutor, JobDone, ToExecutor } from "./executor-protocol.js";
import { killDescendants, killOwnGroup } from "./process-tree.js";
import { epochNow } from "../core/epoch-clock.js";

// Its modules are loaded once this line runs (static imports come first): a step of its start-up.
const loadedAt = epochNow();

const bundlePath = process.argv[2];
/** The pilot traces hops (PANDO_TRACE_HOPS): each job's start and end go back with its result. */
const traceHops = process.env.PANDO_EXECUTOR_TRACE_HOPS === "1";
const maxPayloadBytes = Number(process.env.PANDO_MAX_PAYLOAD_BYTES);
const maxLogChars = Number(process.env.PANDO_MAX_LOG_CHARS);
const serverUrl = process.env.PANDO_SERVER_URL ?? "";
// The pilot sets it only when the jobs run in an unpacked project archive: projectDir() names it before the bundle loads.
if (process.env.PANDO_PROJECT_DIR) (globalThis as Record<symbol, unknown>)[Symbol.for(SHIPPED_PROJECT_DIR_KEY)] = process.env.PANDO_PROJECT_DIR;

function send(msg: FromExecutor): void {
  process.send?.(msg);
}


// ---- output capture: while a job runs, what it prints belongs to it ------------------------------

let output: { out: CappedOutput; err: CappedOutput } | undefined;

function capture(stream: NodeJS.WriteStream, pick: (o: NonNullable<typeof output>) => CappedOutput): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!output) return original(chunk, ...rest);
    pick(output).append(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}

capture(process.stdout, (o) => o.out);
capture(process.stderr, (o) => o.err);

// ---- running jobs -------------------------------------------------------------------------------

const queue: DispatchedJob[] = [];
let running = false;

async function runOne(job: DispatchedJob): Promise<JobDone> {
  const startedAt = Date.now();
  const done = (fields: Partial<JobDone>): JobDone => ({
    t: "done",
    jobId: job.jobId,
    attempt: job.attempt,
    ok: false,
    startedAt,
    endedAt: Date.now(),
    ...fields,
  });
  if (job.kind === "driver") return runDriver(job, done);
  const entry = registry().works.get(job.work);
  if (!entry) {
    const known = [...registry().works.keys()].join(", ") || "none";
    return done({
      error: {
        code: "unknown_work",
        message: `no work named '${job.work}' is registered in bundle ${job.bundleHash.slice(0, 12)}; registered works: ${known}`,
      },
    });
  }
  let args: unknown;
  try {
    args = decode(job.args);
  } catch (err) {
    return done({ error: errorInfoOf(err, "bad_arguments") });
  }
  if (!Array.isArray(args)) {
    return done({ error: { code: "bad_arguments", message: "the job's arguments are not a list" } });
  }
  output = { out: new CappedOutput(maxLogChars), err: new CappedOutput(maxLogChars) };
  const logs = output;
  const info = {
    jobId: job.jobId,
    taskId: job.taskId,
    workflowId: job.workflowId,
    attempt: job.attempt,
    index: job.index,
    key: job.key,
  };
  try {
    const value = await withJob(info, () => (entry.fn as (...a: unknown[]) => unknown)(...args));
    try {
      const result = encode(value, { root: "result", limitBytes: maxPayloadBytes, what: "result" });
      return done({ ok: true, result, stdout: logs.out.text(), stderr: logs.err.text() });
    } catch (err) {
      const code = err instanceof CodecError && err.code === "payload_too_large" ? "payload_too_large" : "unserialisable_result";
      return done({ error: errorInfoOf(err, code), stdout: logs.out.text(), stderr: logs.err.text() });
    }
  } catch (err) {
    return done({ error: errorInfoOf(err, "user_error"), stdout: logs.out.text(), stderr: logs.err.text() });
  } finally {
    output = undefined;
  }
}

/**
 * Runs a remote workflow's body: its work calls become tasks of the workflow, made with the job's token
 * (valid for this workflow only), and the body's end closes the workflow. The job succeeds once the
 * workflow has recorded the body's outcome, whatever it was; only a failure to record it is retried.
 */
async function runDriver(job: DispatchedJob, done: (fields: Partial<JobDone>) => JobDone): Promise<JobDone> {
  const entry = registry().workflows.get(job.work);
  if (!entry) {
    const known = [...registry().workflows.keys()].join(", ") || "none";
    return done({
      error: {
        code: "unknown_work",
        message: `no workflow named '${job.work}' is registered in bundle ${job.bundleHash.slice(0, 12)}; registered workflows: ${known}`,
      },
    });
  }
  if (!job.token) return done({ error: { code: "bad_arguments", message: "the driver job came without its workflow token" } });
  let args: unknown;
  try {
    args = decode(job.args);
  } catch (err) {
    return done({ error: errorInfoOf(err, "bad_arguments") });
  }
  if (!Array.isArray(args)) return done({ error: { code: "bad_arguments", message: "the driver's arguments are not a list" } });
  // A driver's client and result channel load with its first driver job: an executor of works never loads them.
  const [{ HttpPandoClient }, { executeDriver }] = await Promise.all([import("../sdk/client.js"), import("../sdk/driver-run.js")]);
  const client = new HttpPandoClient(serverUrl, job.token);
  output = { out: new CappedOutput(maxLogChars), err: new CappedOutput(maxLogChars) };
  const logs = output;
  const withLogs = (fields: Partial<JobDone>) => done({ ...fields, stdout: logs.out.text(), stderr: logs.err.text() });
  try {
    const wf = await client.getWorkflow(job.workflowId);
    const outcome = await executeDriver({
      client,
      workflowId: job.workflowId,
      seed: wf.seed,
      bundleHash: job.bundleHash,
      projectHash: job.projectHash,
      queue: wf.queue,
      body: entry.fn as (...a: unknown[]) => unknown,
      args,
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      workDefaults: { initEnv: entry.options.initEnv, container: entry.options.container },
    });
    if (!outcome.view) {
      const reason = outcome.ok ? "" : `: ${String((outcome.error as Error | undefined)?.message ?? outcome.error)}`;
      return withLogs({ error: { code: "user_error", message: `the driver could not record its outcome${reason}` } });
    }
    return withLogs({ ok: true, result: outcome.view.result ?? undefined });
  } catch (err) {
    return withLogs({ error: errorInfoOf(err, "user_error") });
  } finally {
    output = undefined;
    await client.close();
  }
}

/**
 * Results not sent yet. A message each cost the two processes more than a no-op job does, so the results of
 * jobs that took under FAST_JOB_MS, with more jobs queued behind them, wait to go in one message: until the
 * queue is empty, RESULTS_PER_MESSAGE of them, RESULTS_WAIT_MS, or the event loop's next turn (a job that
 * awaits anything lets them go). Any other result goes at once: the pilot counts a job as running until it
 * hears of its end, so a result held behind a long job would be late, and its job's walltime would run on.
 */
const unsent: JobDone[] = [];
let firstUnsentAt = 0;
let flushScheduled = false;
const FAST_JOB_MS = 1;
const RESULTS_WAIT_MS = 2;
const RESULTS_PER_MESSAGE = 100;

function flushResults(): void {
  if (unsent.length === 1) send(unsent[0]!);
  else if (unsent.length > 1) send({ t: "results", done: unsent.slice() });
  unsent.length = 0;
}

function flushSoon(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    flushResults();
  });
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const start = traceHops ? epochNow() : 0;
      const began = performance.now();
      const result = await runOne(job);
      const now = performance.now();
      if (traceHops) result.hops = [start, epochNow()];
      if (unsent.length === 0) firstUnsentAt = now;
      unsent.push(result);
      const wait = queue.length > 0 && now - began < FAST_JOB_MS && unsent.length < RESULTS_PER_MESSAGE && now - firstUnsentAt < RESULTS_WAIT_MS;
      if (wait) flushSoon();
      else flushResults();
    }
  } finally {
    flushResults();
    running = false;
  }
}

process.on("message", (msg: ToExecutor) => {
  if (msg.t === "run") {
    queue.push(...msg.jobs);
    void drain();
  } else if (msg.t === "cancel") {
    const i = queue.findIndex((j) => j.jobId === msg.jobId && j.attempt === msg.attempt);
    if (i >= 0) {
      queue.splice(i, 1);
      const now = Date.now();
      send({ t: "done", jobId: msg.jobId, attempt: msg.attempt, ok: false, startedAt: now, endedAt: now, dropped: true });
    }
  }
});

// Without its pilot an executor has no one to report to; the command it may be running goes with it.
process.on("disconnect", () => {
  killDescendants(process.pid);
  const own = process.env.PANDO_EXECUTOR_DIR;
  if (own) rmSync(own, { recursive: true, force: true });
  killOwnGroup();
  process.exit(0);
});
// Signals meant for the pilot reach its executors too (a terminal's Ctrl-C, a batch system's SIGTERM to
// every process of the job): the pilot decides when its executors stop, so they ignore them.
process.on("SIGTERM", () => undefined);
process.on("SIGINT", () => undefined);

// Executors never leave registration-only mode: they run works, never a workflow's driver.
importForRegistrations(bundlePath!).then(
  () =>
    send({
      t: "ready",
      works: [...registry().works.keys()],
      startup: { processStarted: performance.timeOrigin, loaded: loadedAt, bundleImported: epochNow() },
    }),
  (err: unknown) => {
    send({ t: "load-failed", error: errorInfoOf(err, "bundle_load_failed") });
    process.disconnect?.();
  },
);

// Tasks (one work call each) and their jobs: submitting, reading, killing and retrying them.
import { z } from "../vendor/zod.js";
import { boundedList } from "./bounded-list.js";
import { RESULT_VIAS, TASK_KINDS, TASK_STATUSES } from "../core/states.js";
import { bundleHash, declaredObjective, errorInfo, id, idParams, label, name, named, retried, time } from "./common.js";
import { MAX_JOBS_PER_TASK } from "../core/list-limits.js";
import type { Contract } from "./contract.js";

export const submitTaskBody = z.object({
  work: name,
  bundleHash,
  /** The project archive its jobs run in (uploaded to the code cache first), if its workflow ships one. */
  projectHash: bundleHash.optional(),
  /** The call's position in the driver: with the work and arguments, its memo key. */
  seq: z.number().int().nonnegative().optional(),
  /** The queue the task must run on (pinned: brokeroff and test queues too). */
  queue: name.optional(),
  /** Queues the task may run on; brokerage picks one. Neither queue nor queues: any online queue. */
  queues: z.array(name).min(1).max(100).optional(),
  /** What each job needs: cores, memory in MiB, walltime in seconds (0: unstated). */
  cores: z.number().int().min(1).max(4096).optional(),
  memoryMb: z.number().int().min(0).max(1 << 30).optional(),
  walltimeS: z.number().int().min(0).max(10 * 365 * 86_400).optional(),
  /** Shell commands the executor starts after (`source setup.sh`, `module load …`); it inherits their environment. */
  initEnv: z.string().min(1).max(8192).optional(),
  /** Container image the executor runs in, with the pilot host's runtime (apptainer, singularity, podman, docker). */
  container: z
    .string()
    .max(300)
    .regex(/^[\w.:/@+-]+$/, "must be an image reference such as docker.io/library/node:20 or a .sif path")
    .optional(),
  maxAttempts: z.number().int().min(1).max(100).optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
  /** What the work optimises, if it says: the monitor plots that field in that direction instead of guessing. */
  objective: declaredObjective.optional(),
  /** The task's result channel, "<driver id>.<n>"; the driver subscribes to it before submitting. */
  channel: z
    .string()
    .regex(/^[0-9a-f]{16,64}\.[0-9]{1,15}$/, "must be <driver id: 16 to 64 hex digits>.<number>")
    .optional(),
  /** Refused: the server makes each task's result key and gives it in the answer. */
  resultKey: z
    .never({ error: "result keys are made by the server: remove resultKey from the request (the answer carries the task's key)" })
    .optional(),
  jobs: boundedList(z.object({ key: label(256), args: z.string() }), {
    min: 1,
    minMessage: "a task needs at least one job",
    max: MAX_JOBS_PER_TASK,
    maxMessage: `a task has at most ${MAX_JOBS_PER_TASK} jobs: split the call into several tasks`,
  }),
});
export type SubmitTaskRequest = z.input<typeof submitTaskBody>;
export type SubmitTask = z.output<typeof submitTaskBody>;

export const submitTaskResponse = z.object({
  id,
  nJobs: z.number().int(),
  /** True when a re-run driver's call found its task from an earlier run (nothing was submitted). */
  attached: z.boolean(),
  /** Set when no queue can take the task yet: it waits, and this says why. */
  pendingReason: z.string().optional(),
  /** The key (64 hex digits, AES-256-GCM) the task's results are sealed with on the broker; made by the server. */
  resultKey: z.string(),
});
export type SubmitTaskResponse = z.output<typeof submitTaskResponse>;

export const taskView = named(
  "Task",
  z.object({
    id,
    workflowId: id,
    /** "work" for a work call, "driver" for the task that runs a remote workflow's body. */
    kind: z.enum(TASK_KINDS),
    work: z.string(),
    seq: z.number().int().nullable(),
    status: z.enum(TASK_STATUSES),
    queue: z.string(),
    nJobs: z.number().int(),
    nFinished: z.number().int(),
    nFailed: z.number().int(),
    nCancelled: z.number().int(),
    /** In a workflow's view: jobs its pilots hold now (sent, starting, running). */
    nRunning: z.number().int().optional().describe("in a workflow's view: the jobs pilots hold now"),
    /** How many final states the task's jobs have reached so far: the end of its results stream. */
    resultCursor: z.number().int(),
    /** The task's result channel on the broker (its topic is <prefix>.results.<channel>). */
    channel: z.string().nullable(),
    /** While the task is `pending`: why no queue can take it. */
    pendingReason: z.string().nullable().describe("while the task is pending: why no queue can take it"),
    /** What each job asked for, as submitted: cores, memory in MiB and walltime in seconds (0: unstated). */
    cores: z.number().int().describe("cores each job asked for"),
    memoryMb: z.number().int().describe("memory each job asked for, MiB (0: unstated)"),
    walltimeS: z.number().int().describe("walltime each job asked for, seconds (0: unstated)"),
    /** Attempts a job gets before it counts as failed (system failures such as a lost pilot aside). */
    maxAttempts: z.number().int().describe("attempts a job gets before it counts as failed"),
    /** Dispatch priority of its jobs among queued jobs (higher first). */
    priority: z.number().int().describe("dispatch priority of its jobs (higher first)"),
    /** The objective its work declared, if any. */
    objective: declaredObjective.nullable().describe("the objective its work declared, if any"),
    createdAt: time.describe("ms since the epoch"),
    endedAt: time.nullable(),
  }),
);
export type TaskView = z.output<typeof taskView>;

export const jobAttemptView = z.object({
  attempt: z.number().int(),
  /** A job state, or "killing" while its pilot has not yet confirmed a kill. */
  state: z.string(),
  pilot: z.string().nullable(),
  sentAt: time.nullable(),
  startedAt: time.nullable(),
  endedAt: time.nullable(),
  error: errorInfo.nullable(),
  stdout: z.string().nullable(),
  stderr: z.string().nullable(),
});
export type JobAttemptView = z.output<typeof jobAttemptView>;

export const jobView = named(
  "Job",
  z.object({
    id,
    taskId: id,
    workflowId: id,
    index: z.number().int(),
    key: z.string(),
    state: z.string(),
    args: z.string(),
    result: z.string().nullable(),
    error: errorInfo.nullable(),
    via: z.enum(RESULT_VIAS).nullable(),
    attempts: z.array(jobAttemptView),
    queue: z.string(),
    createdAt: time,
    startedAt: time.nullable(),
    endedAt: time.nullable(),
  }),
);
export type JobView = z.output<typeof jobView>;

const taskParams = idParams("task");

export const taskEndpoints = {
  submitTask: {
    summary: "Submit a task and its jobs",
    params: idParams("workflow"),
    body: submitTaskBody,
    response: submitTaskResponse,
  },
  getTask: { summary: "A task", params: taskParams, response: taskView },
  killTask: { summary: "Kill a task", params: taskParams, response: taskView },
  retryTask: {
    summary: "Retry the failed and cancelled jobs of a suspended workflow's ended task",
    params: taskParams,
    response: retried,
  },
  getJob: { summary: "A job with its attempts, logs, result and error", params: idParams("job"), response: jobView },
} satisfies Record<string, Contract>;

// The REST protocol between drivers, pilots and the server: request/response shapes with their validation.
// Arguments and results travel as tagged-JSON text (src/codec) inside these messages, exactly as stored.
import { z } from "zod";
import { QUEUE_STATUSES, type QueueStatus } from "./brokerage.js";
import { ERROR_CODES, type ErrorCode, type ErrorInfo } from "./errors.js";
import { WORKFLOW_STATUSES, type FinalJobState, type TaskStatus, type WorkflowMode, type WorkflowStatus } from "./states.js";

const name = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\w.:@/-]+$/, "may contain only letters, digits and _ . : @ / -");
const id = z.number().int().positive();
const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const errorInfoSchema = z.object({
  code: errorCode,
  message: z.string(),
  name: z.string().optional(),
  stack: z.string().optional(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  nonRetryable: z.string().max(1000).optional(),
}) satisfies z.ZodType<ErrorInfo>;

const bundleHash = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest");

export const createWorkflowSchema = z
  .object({
    name,
    mode: z.enum(["local", "remote"]).default("local"),
    queue: name.optional(),
    bundleHash: bundleHash.optional(),
    nodeVersion: z.string().max(50).optional(),
    lockfileHash: z.string().max(128).optional(),
    /** The driver's arguments as a tagged-JSON list: run by a pilot (remote), or checked on resume (local). */
    args: z.string().optional(),
    /** Seed of context().random(); default a random one. */
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** Queue of the driver task of a remote workflow; default the workflow's queue. */
    driverQueue: name.optional(),
    /** Attempts of the driver task of a remote workflow (its own failures; lost pilots never count). */
    driverMaxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .superRefine((req, ctx) => {
    if (req.mode !== "remote") return;
    for (const field of ["bundleHash", "args"] as const) {
      if (req[field] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: "is required for a remote workflow (its pilot runs the driver)" });
      }
    }
  });
export type CreateWorkflowRequest = z.input<typeof createWorkflowSchema>;

export const closeWorkflowSchema = z.object({
  outcome: z.enum(["returned", "threw"]),
  result: z.string().optional(),
  error: errorInfoSchema.omit({ code: true }).optional(),
  /**
   * Tasks whose every result the driver already has (through the broker, maybe before the server read them):
   * they are not cancelled, and the workflow's status waits for the server's copy of them.
   */
  completeTasks: z.array(id).max(1_000_000).default([]),
});
export type CloseWorkflowRequest = z.input<typeof closeWorkflowSchema>;

/** A local driver started again (`pando run --resume`): it must be the same workflow with the same arguments. */
export const resumeWorkflowSchema = z.object({ name, args: z.string().default("[]") });
export type ResumeWorkflowRequest = z.input<typeof resumeWorkflowSchema>;

/** A local driver stops before its body ended (Ctrl-C): the workflow waits for `pando run --resume`. */
export const suspendWorkflowSchema = z.object({
  /** Why, for people: "the driver was stopped by SIGINT". */
  reason: z.string().min(1, "must say why").max(1000, "must be at most 1000 characters"),
});
export type SuspendWorkflowRequest = z.input<typeof suspendWorkflowSchema>;

/** A local driver's heartbeat; with waitMs it is answered as soon as the workflow stops running (long-poll). */
export const driverHeartbeatSchema = z.object({
  waitMs: z.number().int().nonnegative().max(120_000).default(0),
});
export type DriverHeartbeatRequest = z.input<typeof driverHeartbeatSchema>;

/** What a local driver learns from its heartbeat: whether its workflow still runs, and if not why. */
export interface DriverHeartbeatResponse {
  /** False once the workflow was closed (its body ended, or it was killed). */
  open: boolean;
  status: WorkflowStatus;
  /** Why the workflow is suspended, while it is. */
  suspendReason: string | null;
}

export const createTokenSchema = z.object({
  name: z.string().min(1).max(200),
  /** Administrators only: the user the token acts for (created if new); default the caller. */
  user: name.optional(),
  /** A token valid for this workflow only (its owner's, or an administrator's choice). */
  workflowId: id.optional(),
});
export type CreateTokenRequest = z.input<typeof createTokenSchema>;

export interface CreateTokenResponse {
  token: string;
  user: string;
  workflowId: number | null;
}

/** A pilot the provisioner started (GET /api/v1/workers). */
export interface WorkerView {
  id: number;
  queue: string;
  backend: string;
  batchId: string | null;
  status: "submitted" | "running" | "ended";
  /** Why it ended. */
  reason: string | null;
  /** While alive, what its backend last said of its job: waiting in the batch queue, or started; null before the server asked. */
  batchState: "pending" | "running" | null;
  /** While its job is pending, the batch system's reason, explained ("Resources: the nodes it fits are busy; …"). */
  pendingReason: string | null;
  pilotId: number | null;
  createdAt: number;
  endedAt: number | null;
}

export const queueStatusSchema = z.object({ status: z.enum(QUEUE_STATUSES) });

/** A queue with its definition, status and load (GET /api/v1/queues). */
export interface QueueView {
  name: string;
  backend: "local" | "slurm";
  status: QueueStatus;
  cores: number;
  memoryMb: { min: number; max: number };
  walltimeMs: { min: number; max: number };
  maxPilots: number;
  slotsPerPilot: number;
  pilotIdleMs: number;
  queued: number;
  running: number;
  /** Registered pilots serving the queue now, whether the server started them or they were started by hand. */
  pilots: number;
  /** Pilots the server started that have not registered yet (pending in the batch system, or starting). */
  startingPilots: number;
  /** Of those, the ones the batch system holds pending. */
  pendingPilots: number;
  /** Why the batch system holds them: its reasons, explained; null when none is pending. */
  pendingReason: string | null;
}

export const workflowQuerySchema = z.object({
  /** Waits up to this long for the workflow to end (long-poll); 0 answers at once. */
  waitMs: z.coerce.number().int().nonnegative().max(120_000).default(0),
});
export type WorkflowQuery = z.input<typeof workflowQuerySchema>;

export const putStepSchema = z.object({ name: z.string().min(1).max(200), value: z.string() });
export type PutStepRequest = z.input<typeof putStepSchema>;

export const submitTaskSchema = z.object({
  work: name,
  bundleHash,
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
  /** The task's result channel, "<driver id>.<n>"; the driver subscribes to it before submitting. */
  channel: z
    .string()
    .regex(/^[0-9a-f]{16,64}\.[0-9]{1,15}$/, "must be <driver id: 16 to 64 hex digits>.<number>")
    .optional(),
  /** Key that signs the task's result messages (HMAC-SHA256). */
  resultKey: z.string().regex(/^[0-9a-f]{32,128}$/, "must be 32 to 128 hex digits").optional(),
  jobs: z
    .array(z.object({ key: z.string().min(1).max(256), args: z.string() }))
    .min(1, "a task needs at least one job"),
});
export type SubmitTaskRequest = z.input<typeof submitTaskSchema>;

export const resultsQuerySchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  waitMs: z.coerce.number().int().nonnegative().max(120_000).default(0),
  limit: z.coerce.number().int().min(1).max(50_000).default(10_000),
});
export type ResultsQuery = z.input<typeof resultsQuerySchema>;

export const registerPilotSchema = z.object({
  queue: name,
  name: z.string().min(1).max(200),
  host: z.string().max(255).default(""),
  pid: z.number().int().nonnegative().default(0),
  slots: z.number().int().min(1).max(4096).default(1),
  version: z.string().max(50).default(""),
  /** Set when the server's provisioner started this pilot. */
  worker: id.optional(),
});
export type RegisterPilotRequest = z.input<typeof registerPilotSchema>;

export const acquireSchema = z.object({
  /** Jobs the pilot wants to hold in all; the server hands out that many minus those the pilot holds. */
  capacity: z.number().int().min(0).max(100_000),
  /** Driver jobs among those it holds: they run beside its slots (default none). */
  drivers: z.number().int().min(0).max(100_000).default(0),
  /**
   * Tasks whose jobs the pilot has seen to be fast. When given, the server hands out jobs of any task only
   * for the pilot's free slots, and beyond them only jobs of these tasks (core/hand-out.ts), so that a
   * pilot's queue never takes jobs that other pilots' free slots could start now. When absent, up to
   * `capacity` jobs of any task.
   */
  prefetch: z.array(z.number().int().positive()).max(1000).optional(),
  /**
   * Attempts the pilot has finished and published to the broker, [jobId, attempt] pairs, that it has not
   * seen recorded yet: they take no room even before the server has read them from the broker.
   */
  published: z.array(z.tuple([z.number(), z.number()])).max(100_000).default([]),
  waitMs: z.number().int().min(0).max(120_000).default(0),
});
export type AcquireRequest = z.input<typeof acquireSchema>;

const attemptRef = z.object({ jobId: id, attempt: z.number().int().positive() });
export type AttemptRef = z.infer<typeof attemptRef>;

export const attemptUpdateSchema = attemptRef.extend({
  state: z.enum(["running", "finished", "failed", "cancelled"]),
  startedAt: z.number().int().nonnegative().optional(),
  endedAt: z.number().int().nonnegative().optional(),
  result: z.string().optional(),
  error: errorInfoSchema.optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});
export type AttemptUpdate = z.infer<typeof attemptUpdateSchema>;

export const reportSchema = z.object({ updates: z.array(attemptUpdateSchema).max(100_000) });
export type ReportRequest = z.input<typeof reportSchema>;

export const heartbeatSchema = z.object({ held: z.array(attemptRef).max(100_000).default([]) });
export type HeartbeatRequest = z.input<typeof heartbeatSchema>;

export interface CreateWorkflowResponse {
  id: number;
  /** Seed of the workflow's context().random(), the same for every run of its driver. */
  seed: number;
  /** Remote mode: the task whose one job runs the driver. */
  driverTaskId: number | null;
  /** Local mode: how often the driver must send a heartbeat (POST /workflows/:id/heartbeat). */
  driverHeartbeatMs: number;
}

export interface StepRecord {
  seq: number;
  name: string;
  value: string;
}

export interface TaskView {
  id: number;
  workflowId: number;
  /** "work" for a work call, "driver" for the task that runs a remote workflow's body. */
  kind: "work" | "driver";
  work: string;
  seq: number | null;
  status: TaskStatus;
  queue: string;
  nJobs: number;
  nFinished: number;
  nFailed: number;
  nCancelled: number;
  /** In a workflow's view: jobs its pilots hold now (sent, starting, running). */
  nRunning?: number;
  /** How many final states the task's jobs have reached so far: the end of its results stream. */
  resultCursor: number;
  /** The task's result channel on the broker (its topic is <prefix>.results.<channel>). */
  channel: string | null;
  /** While the task is `pending`: why no queue can take it. */
  pendingReason: string | null;
  /** What each job asked for, as submitted: cores, memory in MiB and walltime in seconds (0: unstated). */
  cores: number;
  memoryMb: number;
  walltimeS: number;
  /** Attempts a job gets before it counts as failed (system failures such as a lost pilot aside). */
  maxAttempts: number;
  /** Dispatch priority of its jobs among queued jobs (higher first). */
  priority: number;
  createdAt: number;
  endedAt: number | null;
}

export interface WorkflowView {
  id: number;
  name: string;
  user: string;
  status: WorkflowStatus;
  mode: WorkflowMode;
  queue: string;
  /** The code and environment the run was started with. */
  bundleHash: string | null;
  nodeVersion: string | null;
  lockfileHash: string | null;
  /** Seed of context().random(). */
  seed: number;
  /** Remote mode: the task that runs the driver. */
  driverTaskId: number | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  result: string | null;
  error: ErrorInfo | Omit<ErrorInfo, "code"> | null;
  /** When and why the driver of a local workflow stopped before its body ended (null unless it did). */
  suspendedAt: number | null;
  suspendReason: string | null;
  tasks: TaskView[];
}

export interface SubmitTaskResponse {
  id: number;
  nJobs: number;
  /** True when a re-run driver's call found its task from an earlier run (nothing was submitted). */
  attached: boolean;
  /** Set when no queue can take the task yet: it waits, and this says why. */
  pendingReason?: string;
}

/** One job's final outcome, as delivered to the waiting driver. */
/** How a final state reached the server: a pilot's broker message, a pilot's REST report, or the server itself (lost pilot, kill). */
export type ResultVia = "broker" | "rest" | "server";

export interface JobOutcome {
  jobId: number;
  index: number;
  key: string;
  state: FinalJobState;
  result?: string;
  error?: ErrorInfo;
  attempts: number;
  startedAt: number | null;
  endedAt: number | null;
  pilot: string | null;
  queue: string;
  via: ResultVia | null;
  /** Position in the task's stream of final states; the results cursor. */
  seq: number;
}

export interface TaskResultsResponse {
  task: TaskView;
  results: JobOutcome[];
  cursor: number;
}

/** Where results travel when the server has a broker: handed to pilots and drivers so nobody configures it twice. */
export interface BrokerSettings {
  /** "host:port" of each broker, tried in turn. */
  endpoints: string[];
  login?: string;
  passcode?: string;
  /** Destination prefix: results of a task go to /topic/<prefix>.results.<channel>, reports to /queue/<prefix>.reports. */
  prefix: string;
}

export interface RegisterPilotResponse {
  id: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  maxPayloadBytes: number;
  maxLogChars: number;
  broker: BrokerSettings | null;
}

/** A job handed to a pilot: everything the executor needs to run one attempt. */
export interface DispatchedJob {
  jobId: number;
  attempt: number;
  taskId: number;
  workflowId: number;
  index: number;
  key: string;
  work: string;
  bundleHash: string;
  args: string;
  /** The task's result channel and signing key, for publishing results to the broker. */
  channel: string;
  resultKey: string;
  /** "driver": the job runs the workflow's body (with `token`, valid for its workflow only). */
  kind: "work" | "driver";
  token?: string;
  /** Limits the pilot enforces (0: none): walltime in ms, resident memory of the executor in MiB. */
  walltimeMs: number;
  memoryMb: number;
  /** Where the executor runs: a shell prefix around it, a container image. */
  initEnv?: string;
  container?: string;
}

export type PilotCommand =
  | { kind: "kill"; jobId: number; attempt: number }
  | { kind: "shutdown" }
  /**
   * A workflow or task of this execution context started on the pilot's queue: fetch the bundle and start
   * executors for it in the free slots before its jobs arrive.
   */
  | { kind: "warm"; bundleHash: string; initEnv?: string; container?: string };

export interface AcquireResponse {
  jobs: DispatchedJob[];
  commands: PilotCommand[];
  /** Those of the request's `published` attempts that the server has recorded: the pilot can forget them. */
  recorded: Array<[number, number]>;
}

/** Kill orders reach a pilot through its long-poll (and heartbeats), so a report's answer is just the count. */
export interface ReportResponse {
  accepted: number;
  ignored: number;
}

export interface HeartbeatResponse {
  commands: PilotCommand[];
  /** The attempts the server still counts as held by this pilot (results it has not yet recorded). */
  held: AttemptRef[];
}

export interface JobAttemptView {
  attempt: number;
  state: string;
  pilot: string | null;
  sentAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  error: ErrorInfo | null;
  stdout: string | null;
  stderr: string | null;
}

export interface JobView {
  id: number;
  taskId: number;
  workflowId: number;
  index: number;
  key: string;
  state: string;
  args: string;
  result: string | null;
  error: ErrorInfo | null;
  via: ResultVia | null;
  attempts: JobAttemptView[];
  queue: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

// ---- monitoring and housekeeping ----------------------------------------------------------------------

const fieldList = z
  .string()
  .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, "must be a comma-separated list of field names, e.g. id,name,status")
  .transform((s) => s.split(","))
  .optional();
const time = z.coerce.number().int().nonnegative();

export const listWorkflowsQuerySchema = z.object({
  /** Workflows of this user (administrators; others only ever see their own). */
  user: z.string().min(1).max(200).optional(),
  /** Comma-separated statuses. */
  status: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(WORKFLOW_STATUSES)))
    .optional(),
  /** Name with `*` and `?` wildcards, case-insensitive. */
  name: z.string().min(1).max(200).optional(),
  createdAfter: time.optional(),
  createdBefore: time.optional(),
  endedBefore: time.optional(),
  /** Cursor: the `next` of the previous page. */
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  fields: fieldList,
});
export type ListWorkflowsQuery = z.input<typeof listWorkflowsQuerySchema>;

export const listJobsQuerySchema = z.object({
  state: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(["defined", "activated", "sent", "starting", "running", "finished", "failed", "cancelled", "closed"])))
    .optional(),
  /** Cursor: the `next` of the previous page (a job index). */
  cursor: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  fields: fieldList,
});

export const listPilotsQuerySchema = z.object({
  status: z.enum(["running", "lost", "finished"]).optional(),
  queue: z.string().min(1).max(200).optional(),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const timelineQuerySchema = z.object({
  buckets: z.coerce.number().int().min(1).max(2000).default(200),
});

/** One row of the workflows table: the paper's Figure 3a. */
export interface WorkflowSummary {
  id: number;
  name: string;
  user: string;
  status: WorkflowStatus;
  mode: WorkflowMode;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  /** Work tasks by status. */
  tasks: Partial<Record<TaskStatus, number>>;
  nTasks: number;
  nJobs: number;
  nFinished: number;
  nFailed: number;
  nCancelled: number;
  /** Percentage of jobs in a final state. */
  progress: number;
}

/** Listings answer a page and the cursor of the next one (null on the last page). */
export interface WorkflowPage {
  workflows: WorkflowSummary[];
  next: number | null;
}

export interface JobPage {
  jobs: JobSummary[];
  next: number | null;
}

export interface PilotPage {
  pilots: PilotView[];
  next: number | null;
}

export interface JobSummary {
  id: number;
  index: number;
  key: string;
  state: string;
  attempts: number;
  pilot: string | null;
  startedAt: number | null;
  endedAt: number | null;
  error: ErrorInfo | null;
}

/** Failed jobs with the same error code and message. */
export interface ErrorGroup {
  code: string;
  message: string;
  count: number;
  /** A few of the jobs, for a look at one. */
  exampleJobs: Array<{ id: number; taskId: number; index: number }>;
}

/** Jobs started, ended and running over a task's life, in equal time buckets. */
export interface TimelineView {
  taskId: number;
  start: number | null;
  end: number | null;
  bucketMs: number;
  buckets: Array<{ t: number; started: number; ended: number; running: number }>;
}

/** Numeric results per work task of a workflow, for the HPO view (objective per iteration). */
export interface ObjectiveSeries {
  /** The field the values were read from, when results are objects ("" when they are numbers). */
  field: string;
  tasks: Array<{ taskId: number; seq: number | null; work: string; values: number[] }>;
}

export interface PilotView {
  id: number;
  name: string;
  queue: string;
  host: string;
  pid: number;
  slots: number;
  version: string;
  status: string;
  running: number;
  createdAt: number;
  heartbeatAt: number;
  endedAt: number | null;
}

/** What deleting a workflow removed. */
export interface PruneCounts {
  workflows: number;
  tasks: number;
  jobs: number;
  attempts: number;
  steps: number;
  tokens: number;
}

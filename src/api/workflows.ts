// Workflows (one run of a driver each): creating, reading, closing, killing, suspending, resuming and
// retrying them, the local driver's heartbeat, and the values its steps recorded.
import { z } from "../vendor/zod.js";
import { boundedList } from "./bounded-list.js";
import { WORKFLOW_MODES, WORKFLOW_STATUSES } from "../core/states.js";
import { bodyError, bundleHash, errorInfo, id, idParam, idParams, label, name, named, queryNumber, retried, seqParam, time } from "./common.js";
import { MAX_COMPLETE_TASKS } from "../core/list-limits.js";
import type { Contract } from "./contract.js";
import { taskView } from "./tasks.js";

export const createWorkflowBody = z
  .object({
    name,
    mode: z.enum(WORKFLOW_MODES).default("local"),
    queue: name.optional(),
    bundleHash: bundleHash.optional(),
    /** The project directory's archive (a gzipped tar in the code cache, uploaded first): the jobs run in it. */
    projectHash: bundleHash.optional(),
    nodeVersion: label(50).optional(),
    lockfileHash: label(128).optional(),
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
export type CreateWorkflowRequest = z.input<typeof createWorkflowBody>;
export type CreateWorkflow = z.output<typeof createWorkflowBody>;

export const createWorkflowResponse = z.object({
  id,
  /** Seed of the workflow's context().random(), the same for every run of its driver. */
  seed: z.number().int(),
  /** Remote mode: the task whose one job runs the driver. */
  driverTaskId: id.nullable(),
  /** Local mode: how often the driver must send a heartbeat (the driverHeartbeat endpoint). */
  driverHeartbeatMs: z.number().int(),
});
export type CreateWorkflowResponse = z.output<typeof createWorkflowResponse>;

export const closeWorkflowBody = z.object({
  outcome: z.enum(["returned", "threw"]),
  result: z.string().optional(),
  error: bodyError.optional(),
  /**
   * Tasks whose every result the driver already has (through the broker, maybe before the server read them):
   * they are not cancelled, and the workflow's status waits for the server's copy of them.
   */
  completeTasks: boundedList(id, { max: MAX_COMPLETE_TASKS, maxMessage: `must list at most ${MAX_COMPLETE_TASKS} tasks (the most recent)` }).default([]),
});
export type CloseWorkflowRequest = z.input<typeof closeWorkflowBody>;
export type CloseWorkflow = z.output<typeof closeWorkflowBody>;

/** A local driver started again (`pando run --resume`): it must be the same workflow with the same arguments. */
export const resumeWorkflowBody = z.object({ name, args: z.string().default("[]") });
export type ResumeWorkflowRequest = z.input<typeof resumeWorkflowBody>;
export type ResumeWorkflow = z.output<typeof resumeWorkflowBody>;

/** A local driver stops before its body ended (Ctrl-C): the workflow waits for `pando run --resume`. */
export const suspendWorkflowBody = z.object({
  /** Why, for people: "the driver was stopped by SIGINT". */
  reason: z.string().min(1, "must say why").max(1000, "must be at most 1000 characters"),
});
export type SuspendWorkflowRequest = z.input<typeof suspendWorkflowBody>;
export type SuspendWorkflow = z.output<typeof suspendWorkflowBody>;

/**
 * A local driver's heartbeat; with waitMs it is answered as soon as the workflow stops running (long-poll).
 * It may come without a body.
 */
export const driverHeartbeatBody = z
  .object({ waitMs: z.number().int().nonnegative().max(120_000).default(0) })
  .nullish()
  .transform((body) => body ?? { waitMs: 0 });
export type DriverHeartbeatRequest = z.input<typeof driverHeartbeatBody>;
export type DriverHeartbeat = z.output<typeof driverHeartbeatBody>;

/** What a local driver learns from its heartbeat: whether its workflow still runs, and if not why. */
export const driverHeartbeatResponse = z.object({
  /** False once the workflow was closed (its body ended, or it was killed). */
  open: z.boolean(),
  status: z.enum(WORKFLOW_STATUSES),
  /** Why the workflow is suspended, while it is. */
  suspendReason: z.string().nullable(),
});
export type DriverHeartbeatResponse = z.output<typeof driverHeartbeatResponse>;

export const workflowQuery = z.object({
  /** Waits up to this long for the workflow to end (long-poll); 0 answers at once. */
  waitMs: queryNumber().nonnegative().max(120_000).default(0),
});
export type WorkflowQueryRequest = z.input<typeof workflowQuery>;
export type WorkflowQuery = z.output<typeof workflowQuery>;

export const putStepBody = z.object({ name: label(200), value: z.string() });
export type PutStepRequest = z.input<typeof putStepBody>;
export type PutStep = z.output<typeof putStepBody>;

export const stepRecord = z.object({ seq: z.number().int(), name: z.string(), value: z.string() });
export type StepRecord = z.output<typeof stepRecord>;

export const workflowView = named(
  "Workflow",
  z.object({
    id,
    name: z.string(),
    user: z.string(),
    status: z.enum(WORKFLOW_STATUSES),
    mode: z.enum(WORKFLOW_MODES),
    queue: z.string(),
    /** The code and environment the run was started with. */
    bundleHash: z.string().nullable(),
    nodeVersion: z.string().nullable(),
    lockfileHash: z.string().nullable(),
    /** Seed of context().random(). */
    seed: z.number().int(),
    /** Remote mode: the task that runs the driver. */
    driverTaskId: id.nullable(),
    createdAt: time,
    updatedAt: time,
    endedAt: time.nullable(),
    result: z.string().nullable(),
    error: z.union([errorInfo, bodyError]).nullable(),
    /** When and why the driver of a local workflow stopped before its body ended (null unless it did). */
    suspendedAt: time.nullable(),
    suspendReason: z.string().nullable(),
    tasks: z.array(taskView),
  }),
);
export type WorkflowView = z.output<typeof workflowView>;

const workflowParams = idParams("workflow");

export const workflowEndpoints = {
  createWorkflow: {
    summary: "Create a workflow (remote mode: with its driver task)",
    body: createWorkflowBody,
    response: createWorkflowResponse,
  },
  getWorkflow: {
    summary: "A workflow with its tasks; optionally wait for its end",
    params: workflowParams,
    query: workflowQuery,
    response: workflowView,
  },
  closeWorkflow: {
    summary: "Close a workflow when its body ended",
    params: workflowParams,
    body: closeWorkflowBody,
    response: workflowView,
  },
  killWorkflow: { summary: "Kill a workflow and all its unfinished tasks", params: workflowParams, response: workflowView },
  retryWorkflow: {
    summary: "Retry the failed and cancelled jobs of a suspended workflow's ended tasks",
    params: workflowParams,
    response: retried,
  },
  resumeWorkflow: {
    summary: "Run a local driver again",
    params: workflowParams,
    body: resumeWorkflowBody,
    response: createWorkflowResponse,
  },
  suspendWorkflow: {
    summary: "A local driver stopped before its body ended: suspend the workflow",
    params: workflowParams,
    body: suspendWorkflowBody,
    response: workflowView,
  },
  driverHeartbeat: {
    summary: "A local driver is alive; optionally wait until its workflow stops running",
    params: workflowParams,
    body: driverHeartbeatBody,
    response: driverHeartbeatResponse,
  },
  steps: { summary: "Values recorded by context().step() and now()", params: workflowParams, response: z.array(stepRecord) },
  putStep: {
    summary: "Record a step (the first value wins)",
    params: z.object({ id: idParam("workflow"), seq: seqParam("step") }),
    body: putStepBody,
    response: stepRecord,
  },
} satisfies Record<string, Contract>;

// What the monitor and the command line read and do beyond running workflows: listings with cursors,
// error summaries, timelines, objective series, pilots, change events, and archiving or deleting ended
// workflows.
import { z } from "../vendor/zod.js";
import { JOB_STATES, PILOT_STATUSES, TASK_STATUSES, WORKFLOW_MODES, WORKFLOW_STATUSES } from "../core/states.js";
import { declaredObjective, errorInfo, fieldList, id, idParams, label, MAX_INT32, named, page, queryList, queryNumber, time } from "./common.js";
import type { Contract } from "./contract.js";

const at = queryNumber().nonnegative();

export const listWorkflowsQuery = z.object({
  /** Workflows of this user (administrators; others only ever see their own). */
  user: label(200).optional(),
  /** Comma-separated statuses. */
  status: queryList(WORKFLOW_STATUSES).optional(),
  /** Name with `*` and `?` wildcards, case-insensitive. */
  name: label(200).optional(),
  createdAfter: at.optional(),
  createdBefore: at.optional(),
  endedBefore: at.optional(),
  /** Cursor: the `next` of the previous page. */
  cursor: queryNumber().positive().optional(),
  limit: queryNumber().min(1).max(1000).default(50),
  fields: fieldList,
});
export type ListWorkflowsRequest = z.input<typeof listWorkflowsQuery>;
export type ListWorkflows = z.output<typeof listWorkflowsQuery>;

/** One row of the workflows table: the paper's Figure 3a. */
export const workflowSummary = z.object({
  id,
  name: z.string(),
  user: z.string(),
  status: z.enum(WORKFLOW_STATUSES),
  mode: z.enum(WORKFLOW_MODES),
  createdAt: time,
  updatedAt: time,
  endedAt: time.nullable(),
  /** Work tasks by status. */
  tasks: z.partialRecord(z.enum(TASK_STATUSES), z.number().int()),
  nTasks: z.number().int(),
  nJobs: z.number().int(),
  nFinished: z.number().int(),
  nFailed: z.number().int(),
  nCancelled: z.number().int(),
  /** Percentage of jobs in a final state. */
  progress: z.number(),
});
export type WorkflowSummary = z.output<typeof workflowSummary>;

/** With `fields`, each item has only those of its fields. */
export const workflowPage = page("workflows", workflowSummary);
export type WorkflowPage = z.output<typeof workflowPage>;

export const listJobsQuery = z.object({
  state: queryList(JOB_STATES).optional(),
  /** Cursor: the `next` of the previous page (a job index). */
  cursor: queryNumber().nonnegative().max(MAX_INT32, `must be at most ${MAX_INT32} (a job index)`).default(0),
  limit: queryNumber().min(1).max(10_000).default(1000),
  fields: fieldList,
});
export type ListJobsRequest = z.input<typeof listJobsQuery>;
export type ListJobs = z.output<typeof listJobsQuery>;

export const jobSummary = z.object({
  id,
  index: z.number().int(),
  key: z.string(),
  state: z.string(),
  attempts: z.number().int(),
  pilot: z.string().nullable(),
  startedAt: time.nullable(),
  endedAt: time.nullable(),
  error: errorInfo.nullable(),
});
export type JobSummary = z.output<typeof jobSummary>;

/** With `fields`, each item has only those of its fields. */
export const jobPage = page("jobs", jobSummary);
export type JobPage = z.output<typeof jobPage>;

/** Job values per answer at most (`limit`): each row carries up to 40 argument and result cells. */
export const MAX_JOB_VALUES = 1000;

export const jobValuesQuery = z.object({
  state: queryList(JOB_STATES).optional(),
  /** Cursor: the `next` of the previous page (a job index; a job id for a workflow's job values). */
  cursor: queryNumber().nonnegative().max(MAX_INT32, `must be at most ${MAX_INT32} (a job index)`).default(0),
  limit: queryNumber()
    .min(1)
    .max(MAX_JOB_VALUES, `must be at most ${MAX_JOB_VALUES}: follow \`next\` for more`)
    .default(500),
});
export type JobValuesRequest = z.input<typeof jobValuesQuery>;
export type JobValuesQuery = z.output<typeof jobValuesQuery>;

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One job's arguments and result as table cells (core/job-columns.ts says how they are named). */
export const jobValues = z.object({
  id,
  taskId: id,
  index: z.number().int(),
  state: z.string(),
  endedAt: time.nullable(),
  /** Its arguments: a lone object argument's fields by name, else arg0, arg1… (object fields dotted). */
  args: z.record(z.string(), cell),
  /** Its result's numbers: a plain number as `value`, an object's numeric fields by name. */
  result: z.record(z.string(), z.number()),
});
export type JobValues = z.output<typeof jobValues>;

/** A page of job values; `next` is the cursor of the following page, null at the end. */
export const jobValuesPage = page("jobs", jobValues);
export type JobValuesPage = z.output<typeof jobValuesPage>;

/** Failed jobs with the same error code and message. */
export const errorGroup = named(
  "ErrorGroup",
  z.object({
    code: z.string(),
    message: z.string(),
    count: z.number().int(),
    /** A few of the jobs, for a look at one. */
    exampleJobs: z.array(z.object({ id, taskId: id, index: z.number().int() })),
  }),
);
export type ErrorGroup = z.output<typeof errorGroup>;

export const timelineQuery = z.object({
  buckets: queryNumber().min(1).max(2000).default(200),
});
export type TimelineRequest = z.input<typeof timelineQuery>;
export type TimelineQuery = z.output<typeof timelineQuery>;

/** Jobs started, ended and running over a task's life, in equal time buckets. */
export const timelineView = z.object({
  taskId: id,
  start: time.nullable(),
  end: time.nullable(),
  bucketMs: z.number(),
  buckets: z.array(z.object({ t: z.number(), started: z.number().int(), ended: z.number().int(), running: z.number().int() })),
});
export type TimelineView = z.output<typeof timelineView>;

/** Numeric results per work task of a workflow, for the HPO view (objective per iteration). */
export const objectiveSeries = z.object({
  /** The field the values were read from, when results are objects ("" when they are numbers). */
  field: z.string(),
  /**
   * The objective its work tasks declared (the first that declared one; then only tasks declaring that name
   * have values); null when none did, and the field and its direction are guessed from the results.
   */
  declared: declaredObjective.nullable(),
  tasks: z.array(z.object({ taskId: id, seq: z.number().int().nullable(), work: z.string(), values: z.array(z.number()) })),
});
export type ObjectiveSeries = z.output<typeof objectiveSeries>;

export const listPilotsQuery = z.object({
  status: z.enum(PILOT_STATUSES).optional(),
  queue: z.string().min(1).max(200).optional(),
  cursor: queryNumber().positive().optional(),
  limit: queryNumber().min(1).max(1000).default(100),
});
export type ListPilotsRequest = z.input<typeof listPilotsQuery>;
export type ListPilots = z.output<typeof listPilotsQuery>;

export const pilotView = z.object({
  id,
  name: z.string(),
  queue: z.string(),
  host: z.string(),
  pid: z.number().int(),
  slots: z.number().int(),
  version: z.string(),
  status: z.string(),
  running: z.number().int(),
  createdAt: time,
  heartbeatAt: time,
  endedAt: time.nullable(),
});
export type PilotView = z.output<typeof pilotView>;

export const pilotPage = page("pilots", pilotView);
export type PilotPage = z.output<typeof pilotPage>;

/** What deleting a workflow removed. */
export const pruneCounts = z.object({
  workflows: z.number().int(),
  tasks: z.number().int(),
  jobs: z.number().int(),
  attempts: z.number().int(),
  steps: z.number().int(),
  tokens: z.number().int(),
});
export type PruneCounts = z.output<typeof pruneCounts>;

/** One line of a workflow's archive: a row of one of its tables, as stored. */
export const archiveRecord = z.object({ type: z.enum(["workflow", "task", "job", "step"]), row: z.record(z.string(), z.unknown()) });
export type ArchiveRecord = z.output<typeof archiveRecord>;

/** The page to follow: a workflow's, a task's, or (neither) the workflows listing. */
export const eventsQuery = z.object({
  workflow: queryNumber().positive().optional(),
  task: queryNumber().positive().optional(),
});
export type EventsRequest = z.input<typeof eventsQuery>;
export type EventsQuery = z.output<typeof eventsQuery>;

/** A `change` event: what the page shows may have changed at `at`; read it again. */
export const changeEvent = z.object({ at: time });
export type ChangeEvent = z.output<typeof changeEvent>;

const workflowParams = idParams("workflow");
const taskParams = idParams("task");

export const monitoringEndpoints = {
  listWorkflows: {
    summary: "List workflows, newest first (cursor pages)",
    query: listWorkflowsQuery,
    response: workflowPage,
  },
  workflowErrors: {
    summary: "Failed jobs grouped by error code and message",
    params: workflowParams,
    response: z.array(errorGroup),
  },
  objective: {
    summary: "Numeric results per task, for plotting an optimisation",
    params: workflowParams,
    response: objectiveSeries,
  },
  workflowJobValues: {
    summary: "The finished jobs of a workflow's work tasks with their arguments and results as cells (cursor pages)",
    params: workflowParams,
    query: jobValuesQuery.omit({ state: true }).extend({ cursor: queryNumber().nonnegative().max(Number.MAX_SAFE_INTEGER).default(0) }),
    response: jobValuesPage,
  },
  archiveWorkflow: { summary: "Every row of a workflow as JSON lines", params: workflowParams, response: archiveRecord },
  deleteWorkflow: { summary: "Delete an ended workflow's state", params: workflowParams, response: pruneCounts },
  listJobs: {
    summary: "A page of a task's jobs, optionally by state",
    params: taskParams,
    query: listJobsQuery,
    response: jobPage,
  },
  taskJobValues: {
    summary: "A task's jobs with their arguments and results as cells, optionally by state (cursor pages)",
    params: taskParams,
    query: jobValuesQuery,
    response: jobValuesPage,
  },
  taskErrors: { summary: "A task's failed jobs grouped by error", params: taskParams, response: z.array(errorGroup) },
  timeline: {
    summary: "Jobs started, ended and running over time",
    params: taskParams,
    query: timelineQuery,
    response: timelineView,
  },
  listPilots: { summary: "Pilots, newest first (cursor pages)", query: listPilotsQuery, response: pilotPage },
  events: {
    summary: "Server-sent change events of a workflow, a task, or the listing",
    query: eventsQuery,
    response: changeEvent,
  },
} satisfies Record<string, Contract>;

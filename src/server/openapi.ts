// The OpenAPI description of the REST API, served at GET /api/v1/openapi.json. Request bodies and query
// strings come from the same zod schemas the server validates with, so the document cannot drift from them.
import { z } from "zod";
import {
  acquireSchema,
  closeWorkflowSchema,
  createTokenSchema,
  createWorkflowSchema,
  driverHeartbeatSchema,
  heartbeatSchema,
  listJobsQuerySchema,
  listPilotsQuerySchema,
  listWorkflowsQuerySchema,
  putStepSchema,
  queueStatusSchema,
  registerPilotSchema,
  reportSchema,
  resultsQuerySchema,
  resumeWorkflowSchema,
  submitTaskSchema,
  suspendWorkflowSchema,
  timelineQuerySchema,
  workflowQuerySchema,
} from "../core/protocol.js";

type Method = "get" | "post" | "put" | "delete" | "head";

interface Endpoint {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** What a success answers (the shapes are described in docs/api.md). */
  answer: string;
  /** The schema of the answer, when the document has one (components.schemas). */
  answers?: keyof typeof ANSWER_SCHEMAS;
  public?: boolean;
  raw?: boolean;
}

const integer = { type: "integer" };
const nullable = (type: string) => ({ type: [type, "null"] });

/** Answers described field by field (TaskView in src/core/protocol.ts; a test holds the two together). */
const ANSWER_SCHEMAS = {
  Task: {
    type: "object",
    properties: {
      id: integer,
      workflowId: integer,
      kind: { type: "string", enum: ["work", "driver"] },
      work: { type: "string" },
      seq: nullable("integer"),
      status: { type: "string" },
      queue: { type: "string" },
      nJobs: integer,
      nFinished: integer,
      nFailed: integer,
      nCancelled: integer,
      resultCursor: integer,
      channel: nullable("string"),
      pendingReason: { ...nullable("string"), description: "while the task is pending: why no queue can take it" },
      cores: { ...integer, description: "cores each job asked for" },
      memoryMb: { ...integer, description: "memory each job asked for, MiB (0: unstated)" },
      walltimeS: { ...integer, description: "walltime each job asked for, seconds (0: unstated)" },
      maxAttempts: { ...integer, description: "attempts a job gets before it counts as failed" },
      priority: { ...integer, description: "dispatch priority of its jobs (higher first)" },
      createdAt: { ...integer, description: "ms since the epoch" },
      endedAt: nullable("integer"),
    },
  },
};

const ENDPOINTS: Endpoint[] = [
  { method: "get", path: "/health", tag: "server", summary: "Liveness", answer: "{ok: true}", public: true },
  { method: "get", path: "/openapi.json", tag: "server", summary: "This document", answer: "the OpenAPI document", public: true },
  { method: "get", path: "/broker", tag: "server", summary: "Where results travel", answer: "{broker}" },
  { method: "get", path: "/metrics", tag: "server", summary: "Counters since start", answer: "counters by name" },
  { method: "get", path: "/events", tag: "monitoring", summary: "Server-sent change events of a workflow, a task, or the listing", answer: "text/event-stream", query: z.object({ workflow: z.number().int().optional(), task: z.number().int().optional() }) },
  { method: "get", path: "/workflows", tag: "workflows", summary: "List workflows, newest first (cursor pages)", answer: "{workflows, next}", query: listWorkflowsQuerySchema },
  { method: "post", path: "/workflows", tag: "workflows", summary: "Create a workflow (remote mode: with its driver task)", answer: "201 {id, seed, driverTaskId, driverHeartbeatMs}", body: createWorkflowSchema },
  { method: "get", path: "/workflows/{id}", tag: "workflows", summary: "A workflow with its tasks; optionally wait for its end", answer: "the workflow", query: workflowQuerySchema },
  { method: "delete", path: "/workflows/{id}", tag: "housekeeping", summary: "Delete an ended workflow's state", answer: "counts of deleted rows" },
  { method: "get", path: "/workflows/{id}/archive", tag: "housekeeping", summary: "Every row of a workflow as JSON lines", answer: "application/x-ndjson" },
  { method: "get", path: "/workflows/{id}/errors", tag: "monitoring", summary: "Failed jobs grouped by error code and message", answer: "[{code, message, count, exampleJobs}]" },
  { method: "get", path: "/workflows/{id}/objective", tag: "monitoring", summary: "Numeric results per task, for plotting an optimisation", answer: "{field, tasks}" },
  { method: "post", path: "/workflows/{id}/close", tag: "workflows", summary: "Close a workflow when its body ended", answer: "the workflow", body: closeWorkflowSchema },
  { method: "post", path: "/workflows/{id}/kill", tag: "workflows", summary: "Kill a workflow and all its unfinished tasks", answer: "the workflow" },
  { method: "post", path: "/workflows/{id}/retry", tag: "workflows", summary: "Retry the failed and cancelled jobs of a suspended workflow's ended tasks", answer: "{retried}" },
  { method: "post", path: "/workflows/{id}/resume", tag: "workflows", summary: "Run a local driver again", answer: "{id, seed, driverTaskId, driverHeartbeatMs}", body: resumeWorkflowSchema },
  { method: "post", path: "/workflows/{id}/suspend", tag: "workflows", summary: "A local driver stopped before its body ended: suspend the workflow", answer: "the workflow", body: suspendWorkflowSchema },
  { method: "post", path: "/workflows/{id}/heartbeat", tag: "workflows", summary: "A local driver is alive; optionally wait until its workflow stops running", answer: "{open, status, suspendReason}", body: driverHeartbeatSchema },
  { method: "get", path: "/workflows/{id}/steps", tag: "workflows", summary: "Values recorded by context().step() and now()", answer: "[{seq, name, value}]" },
  { method: "put", path: "/workflows/{id}/steps/{seq}", tag: "workflows", summary: "Record a step (the first value wins)", answer: "the step", body: putStepSchema },
  { method: "post", path: "/workflows/{id}/tasks", tag: "tasks", summary: "Submit a task and its jobs", answer: "201 {id, nJobs, attached, pendingReason?}", body: submitTaskSchema },
  { method: "get", path: "/tasks/{id}", tag: "tasks", summary: "A task", answer: "the task", answers: "Task" },
  { method: "get", path: "/tasks/{id}/results", tag: "tasks", summary: "Final outcomes after a cursor (long-poll)", answer: "{task, results, cursor}", query: resultsQuerySchema },
  { method: "get", path: "/tasks/{id}/jobs", tag: "monitoring", summary: "A page of a task's jobs, optionally by state", answer: "{jobs, next}", query: listJobsQuerySchema },
  { method: "get", path: "/tasks/{id}/errors", tag: "monitoring", summary: "A task's failed jobs grouped by error", answer: "[{code, message, count, exampleJobs}]" },
  { method: "get", path: "/tasks/{id}/timeline", tag: "monitoring", summary: "Jobs started, ended and running over time", answer: "{taskId, start, end, bucketMs, buckets}", query: timelineQuerySchema },
  { method: "post", path: "/tasks/{id}/kill", tag: "tasks", summary: "Kill a task", answer: "the task", answers: "Task" },
  { method: "post", path: "/tasks/{id}/retry", tag: "tasks", summary: "Retry the failed and cancelled jobs of a suspended workflow's ended task", answer: "{retried}" },
  { method: "get", path: "/jobs/{id}", tag: "tasks", summary: "A job with its attempts, logs, result and error", answer: "the job" },
  { method: "put", path: "/bundles/{hash}", tag: "code", summary: "Upload a code bundle (raw bytes)", answer: "201 {hash, size}", raw: true },
  { method: "head", path: "/bundles/{hash}", tag: "code", summary: "Is a bundle in the code cache", answer: "200 or 404" },
  { method: "get", path: "/bundles/{hash}", tag: "code", summary: "A bundle's bytes", answer: "application/octet-stream" },
  { method: "get", path: "/queues", tag: "queues", summary: "Queues with their status and load", answer: "[queue]" },
  { method: "put", path: "/queues/{name}", tag: "queues", summary: "Set a queue's status (administrators)", answer: "the queue", body: queueStatusSchema },
  { method: "get", path: "/workers", tag: "queues", summary: "Pilots the provisioner started", answer: "[worker]" },
  { method: "get", path: "/pilots", tag: "monitoring", summary: "Pilots, newest first (cursor pages)", answer: "{pilots, next}", query: listPilotsQuerySchema },
  { method: "post", path: "/pilots", tag: "pilots", summary: "Register a pilot", answer: "201 {id, heartbeatIntervalMs, …}", body: registerPilotSchema },
  { method: "post", path: "/pilots/{id}/acquire", tag: "pilots", summary: "Take jobs (long-poll)", answer: "{jobs, commands, recorded}", body: acquireSchema },
  { method: "post", path: "/pilots/{id}/report", tag: "pilots", summary: "Report attempt updates", answer: "{accepted, ignored}", body: reportSchema },
  { method: "post", path: "/pilots/{id}/heartbeat", tag: "pilots", summary: "Heartbeat with the held attempts", answer: "{commands, held}", body: heartbeatSchema },
  { method: "post", path: "/pilots/{id}/exit", tag: "pilots", summary: "A pilot leaves", answer: "{ok: true}" },
  { method: "post", path: "/tokens", tag: "tokens", summary: "Create a token", answer: "201 {token, user, workflowId}", body: createTokenSchema },
  { method: "get", path: "/tokens", tag: "tokens", summary: "List tokens (never the tokens themselves)", answer: "[token]", query: z.object({ all: z.boolean().optional(), revoked: z.boolean().optional() }) },
  { method: "delete", path: "/tokens/{id}", tag: "tokens", summary: "Revoke a token", answer: "the token" },
];

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });

function parameters(e: Endpoint): unknown[] {
  const out: unknown[] = [];
  for (const m of e.path.matchAll(/\{(\w+)\}/g)) {
    out.push({ name: m[1], in: "path", required: true, schema: { type: m[1] === "id" || m[1] === "seq" ? "integer" : "string" } });
  }
  if (e.query) {
    for (const [name, field] of Object.entries(e.query.shape)) {
      out.push({ name, in: "query", required: false, schema: jsonSchema(field as z.ZodType) });
    }
  }
  return out;
}

const ERROR = { description: "error: {error: {code, message}} saying what was wrong and what to do", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };

/** The OpenAPI 3.1 document of the REST API. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of ENDPOINTS) {
    const op: Record<string, unknown> = {
      tags: [e.tag],
      summary: e.summary,
      parameters: parameters(e),
      responses: {
        "2XX": e.answers
          ? { description: e.answer, content: { "application/json": { schema: { $ref: `#/components/schemas/${e.answers}` } } } }
          : { description: e.answer },
        "4XX": ERROR,
      },
    };
    if (e.public) op.security = [];
    if (e.body) op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(e.body) } } };
    if (e.raw) op.requestBody = { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } };
    (paths[`/api/v1${e.path}`] ??= {})[e.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Pando REST API", version, description: "Function-as-a-task workflows: see docs/api.md for every answer's shape." },
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        ...Object.fromEntries(
          Object.entries(ANSWER_SCHEMAS).map(([name, schema]) => [name, { ...schema, required: Object.keys(schema.properties) }]),
        ),
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } } },
        },
      },
    },
    paths,
  };
}

// Pilots: registering, taking jobs (long-poll), reporting attempts, heartbeats and leaving. The records
// exchanged are the domain's (core/dispatch-records.ts); the compiler holds these schemas equal to them (below).
import { z } from "../vendor/zod.js";
import { boundedList } from "./bounded-list.js";
import type { AttemptRef, AttemptUpdate, DispatchedJob, PilotCommand } from "../core/dispatch-records.js";
import { REPORTED_ATTEMPT_STATES, TASK_KINDS } from "../core/states.js";
import { errorInfo, id, idParams, label, MAX_INT32, name, withoutNul } from "./common.js";
import type { Contract } from "./contract.js";

export const brokerSettings = z.object({
  /** "host:port" of each broker, tried in turn. */
  endpoints: z.array(z.string()),
  /** Connect with TLS (a stomp+ssl:// broker), verifying its certificate as the server's (PANDO_CA or the system's). */
  tls: z.boolean().optional(),
  login: z.string().optional(),
  passcode: z.string().optional(),
  /** Destination prefix: results of a task go to /topic/<prefix>.results.<channel>, reports to /queue/<prefix>.reports. */
  prefix: z.string(),
});
/** Where results travel when the server has a broker: handed to pilots and drivers so nobody configures it twice. */
export type BrokerSettings = z.output<typeof brokerSettings>;

export const registerPilotBody = z.object({
  queue: name,
  name: label(200),
  host: withoutNul(z.string().max(255)).default(""),
  pid: z.number().int().nonnegative().max(MAX_INT32, `must be at most ${MAX_INT32}`).default(0),
  slots: z.number().int().min(1).max(4096).default(1),
  version: withoutNul(z.string().max(50)).default(""),
  /** Set when the server's provisioner started this pilot. */
  worker: id.optional(),
});
export type RegisterPilotRequest = z.input<typeof registerPilotBody>;
export type RegisterPilot = z.output<typeof registerPilotBody>;

export const registerPilotResponse = z.object({
  id,
  heartbeatIntervalMs: z.number().int(),
  heartbeatTimeoutMs: z.number().int(),
  maxPayloadBytes: z.number().int(),
  maxLogChars: z.number().int(),
  broker: brokerSettings.nullable(),
  /** The key this pilot signs its broker reports with (HMAC-SHA256), made by the server for this pilot only. */
  reportKey: z.string(),
});
/** What a registered pilot is told: its id, how often to beat, the limits it enforces, where results travel. */
export type RegisterPilotResponse = z.output<typeof registerPilotResponse>;

export const acquireBody = z.object({
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
  published: boundedList(z.tuple([z.number(), z.number()]), { max: 100_000 }).default([]),
  waitMs: z.number().int().min(0).max(120_000).default(0),
});
export type AcquireRequest = z.input<typeof acquireBody>;
export type Acquire = z.output<typeof acquireBody>;

/** An attempt's number: 1, 2, … (at most a 32-bit integer, as stored). */
export const attemptNumber = z.number().int().positive().max(MAX_INT32, `must be at most ${MAX_INT32}`);

export const attemptRef = z.object({ jobId: id, attempt: attemptNumber });

export const attemptUpdate = attemptRef.extend({
  state: z.enum(REPORTED_ATTEMPT_STATES),
  startedAt: z.number().int().nonnegative().optional(),
  endedAt: z.number().int().nonnegative().optional(),
  result: z.string().optional(),
  error: errorInfo.optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});

export const dispatchedJob = z.object({
  jobId: id,
  attempt: z.number().int().positive(),
  taskId: id,
  workflowId: id,
  /** The user whose work it is: a warm executor runs the jobs of one user only. */
  owner: id,
  index: z.number().int().nonnegative(),
  key: z.string(),
  work: z.string(),
  bundleHash: z.string(),
  projectHash: z.string().optional(),
  args: z.string(),
  /** The task's result channel and key (AES-256-GCM), for publishing sealed results to the broker. */
  channel: z.string(),
  resultKey: z.string(),
  /** "driver": the job runs the workflow's body (with `token`, valid for its workflow only). */
  kind: z.enum(TASK_KINDS),
  token: z.string().optional(),
  /** Limits the pilot enforces (0: none): walltime in ms, resident memory of the executor in MiB. */
  walltimeMs: z.number().int(),
  memoryMb: z.number().int(),
  initEnv: z.string().optional(),
  container: z.string().optional(),
});

export const pilotCommand = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("kill"), jobId: id, attempt: z.number().int().positive() }),
  z.object({ kind: z.literal("shutdown") }),
  z.object({ kind: z.literal("warm"), owner: id, bundleHash: z.string(), projectHash: z.string().optional(), initEnv: z.string().optional(), container: z.string().optional() }),
]);

export const acquireResponse = z.object({
  jobs: z.array(dispatchedJob),
  commands: z.array(pilotCommand),
  /** Those of the request's `published` attempts that the server has recorded: the pilot can forget them. */
  recorded: z.array(z.tuple([z.number(), z.number()])),
  /**
   * The server's clock when it answered: every job sent to this pilot before then came in this answer or an
   * earlier one. The pilot's heartbeats give it back as `asOf`.
   */
  at: z.number().int().optional(),
});
export type AcquireResponse = z.output<typeof acquireResponse>;

/** Most updates one report may carry (pilots send at most a few thousand at a time). */
export const MAX_REPORT_UPDATES = 100_000;

export const reportBody = z.object({ updates: boundedList(attemptUpdate, { max: MAX_REPORT_UPDATES }) });
export type ReportRequest = z.input<typeof reportBody>;
export type Report = z.output<typeof reportBody>;

/** Kill orders reach a pilot through its long-poll (and heartbeats), so a report's answer is just the count. */
export const reportResponse = z.object({ accepted: z.number().int(), ignored: z.number().int() });
export type ReportResponse = z.output<typeof reportResponse>;

export const heartbeatBody = z.object({
  held: boundedList(attemptRef, { max: 100_000 }).default([]),
  /**
   * The `at` of the last acquire answer whose jobs `held` includes. A job sent after it may be on its way
   * still: its absence from `held` does not make it lost, however late the heartbeat arrives.
   */
  asOf: z.number().int().nonnegative().optional(),
});
export type HeartbeatRequest = z.input<typeof heartbeatBody>;
export type Heartbeat = z.output<typeof heartbeatBody>;

export const heartbeatResponse = z.object({
  commands: z.array(pilotCommand),
  /** The attempts the server still counts as held by this pilot (results it has not yet recorded). */
  held: z.array(attemptRef),
});
export type HeartbeatResponse = z.output<typeof heartbeatResponse>;

/** True when A and B are each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The domain's records and their wire schemas are one shape: a change to either that the other misses fails to compile.
const recordsMatchSchemas: [
  Same<AttemptRef, z.output<typeof attemptRef>>,
  Same<AttemptUpdate, z.output<typeof attemptUpdate>>,
  Same<DispatchedJob, z.output<typeof dispatchedJob>>,
  Same<PilotCommand, z.output<typeof pilotCommand>>,
] = [true, true, true, true];
void recordsMatchSchemas;

const pilotParams = idParams("pilot");

export const pilotEndpoints = {
  registerPilot: { summary: "Register a pilot", body: registerPilotBody, response: registerPilotResponse },
  acquire: { summary: "Take jobs (long-poll)", params: pilotParams, body: acquireBody, response: acquireResponse },
  report: { summary: "Report attempt updates", params: pilotParams, body: reportBody, response: reportResponse },
  heartbeat: { summary: "Heartbeat with the held attempts", params: pilotParams, body: heartbeatBody, response: heartbeatResponse },
  exitPilot: { summary: "A pilot leaves", params: pilotParams, response: z.object({ ok: z.literal(true) }) },
} satisfies Record<string, Contract>;

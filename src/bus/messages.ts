// The messages results travel in on the broker, and how they are signed.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "../vendor/zod.js";
import { id } from "../api/common.js";
import { attemptNumber, attemptUpdate, MAX_REPORT_UPDATES } from "../api/pilots.js";
import { jobOutcome } from "../api/results.js";
import type { AttemptUpdate } from "../core/dispatch-records.js";

/**
 * A task's channel is "<driver>.<n>": the driver's random id and its task counter. Results of the task go to
 * /topic/<prefix>.results.<driver>.<n>, and a driver takes all of its tasks' results with one subscription.
 */
export function resultsTopic(prefix: string, channel: string): string {
  return `/topic/${prefix}.results.${channel}`;
}

/** The subscription that receives every task of one driver (a one-level wildcard, the same on ActiveMQ and RabbitMQ). */
export function driverTopic(prefix: string, driver: string): string {
  return `/topic/${prefix}.results.${driver}.*`;
}

export function driverOf(channel: string): string {
  return channel.split(".")[0] ?? channel;
}

/**
 * The headers of a result message: its channel and driver (routing, ActiveMQ selectors), workflow and task.
 * The body is sealed with the task's key (sealed.ts); each job's key and attempt are inside it, since a
 * message carries the jobs that finished together.
 */
export function resultsHeaders(task: { channel: string; taskId: number; workflowId: number }): Record<string, string> {
  return {
    persistent: "true",
    "content-type": "text/plain",
    [HEADER.channel]: task.channel,
    [HEADER.driver]: driverOf(task.channel),
    [HEADER.workflow]: String(task.workflowId),
    [HEADER.task]: String(task.taskId),
  };
}

/** The headers of a pilot's report message: its task, and its signature with the pilot's report key. */
export function reportHeaders(taskId: number, signature: string): Record<string, string> {
  return { persistent: "true", "content-type": "application/json", [HEADER.task]: String(taskId), [HEADER.sig]: signature };
}

/** Where pilots send attempt reports for the server: a persistent queue, consumed by the server(s). */
export function reportsQueue(prefix: string): string {
  return `/queue/${prefix}.reports`;
}

/** Header names (underscores, so that ActiveMQ selectors can use them). */
export const HEADER = {
  channel: "pando_channel",
  driver: "pando_driver",
  workflow: "pando_workflow",
  task: "pando_task",
  sig: "pando_sig",
} as const;

/** HMAC-SHA256 of a report with its pilot's report key: only the pilot (and the server) hold that key. */
export function sign(key: string, body: string): string {
  return createHmac("sha256", key).update(body).digest("hex");
}

export function verify(key: string, body: string, signature: string | undefined): boolean {
  if (!signature || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(sign(key, body), "hex"), Buffer.from(signature, "hex"));
}

/** Final outcomes the server records (everything but the successes pilots publish themselves), on a task's topic. */
const serverResultsSchema = z.object({
  v: z.literal(1),
  kind: z.literal("results"),
  task: z.number().int().positive(),
  outcomes: z.array(jobOutcome).max(MAX_REPORT_UPDATES),
});
export type ServerResults = z.infer<typeof serverResultsSchema>;

/**
 * Successes a pilot publishes on a task's topic, compact because drivers parse many of them: one tuple per
 * job, [jobId, index, attempt, startedAt, endedAt, result], the job's key being known from its index.
 */
const pilotSuccessesSchema = z.object({
  v: z.literal(1),
  kind: z.literal("successes"),
  task: z.number().int().positive(),
  pilot: z.string(),
  queue: z.string(),
  jobs: z.array(z.tuple([z.number(), z.number(), z.number(), z.number().nullable(), z.number().nullable(), z.string()])).max(MAX_REPORT_UPDATES),
});
export type PilotSuccesses = z.infer<typeof pilotSuccessesSchema>;

export const topicMessageSchema = z.discriminatedUnion("kind", [serverResultsSchema, pilotSuccessesSchema]);

const nullableString = z.string().nullable();
/** A moment a pilot reports, as the REST reports have it (attemptUpdate). */
const reportedTime = z.number().int().nonnegative().nullable();

/**
 * A pilot's attempt reports for one task, on the server's queue. Successes, the bulk, are compact tuples
 * [jobId, attempt, startedAt, endedAt, result, stdout, stderr]; anything else is a plain AttemptUpdate.
 */
export const reportMessageSchema = z.object({
  v: z.literal(1),
  kind: z.literal("report"),
  task: z.number().int().positive(),
  pilot: z.number().int().positive(),
  successes: z
    .array(z.tuple([id, attemptNumber, reportedTime, reportedTime, z.string(), nullableString, nullableString]))
    .max(MAX_REPORT_UPDATES),
  others: z.array(attemptUpdate).max(MAX_REPORT_UPDATES),
});
export type ReportMessage = z.infer<typeof reportMessageSchema>;

/** Packs a pilot's updates for one task into a report message. */
export function packReport(task: number, pilot: number, updates: readonly AttemptUpdate[]): ReportMessage {
  const message: ReportMessage = { v: 1, kind: "report", task, pilot, successes: [], others: [] };
  for (const u of updates) {
    if (u.state === "finished" && u.result !== undefined && u.error === undefined) {
      message.successes.push([u.jobId, u.attempt, u.startedAt ?? null, u.endedAt ?? null, u.result, u.stdout ?? null, u.stderr ?? null]);
    } else {
      message.others.push(u);
    }
  }
  return message;
}

/** The updates of a report message, as the server records them. */
export function unpackReport(message: ReportMessage): AttemptUpdate[] {
  const updates: AttemptUpdate[] = message.successes.map(([jobId, attempt, startedAt, endedAt, result, stdout, stderr]) => {
    const u: AttemptUpdate = { jobId, attempt, state: "finished", result };
    if (startedAt !== null) u.startedAt = startedAt;
    if (endedAt !== null) u.endedAt = endedAt;
    if (stdout !== null) u.stdout = stdout;
    if (stderr !== null) u.stderr = stderr;
    return u;
  });
  return updates.concat(message.others);
}

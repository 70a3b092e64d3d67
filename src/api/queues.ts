// Queues (named resources pilots serve) with their status and load, and the pilots the server started.
import { z } from "../vendor/zod.js";
import { QUEUE_STATUSES } from "../core/brokerage.js";
import { QUEUE_BACKENDS } from "../core/queue-config.js";
import { WORKER_STATUSES } from "../core/states.js";
import { id, label, named, time } from "./common.js";
import type { Contract } from "./contract.js";

const window = z.object({ min: z.number().int(), max: z.number().int() });

/** A queue with its definition, status and load. */
export const queueView = named(
  "Queue",
  z.object({
    name: z.string(),
    backend: z.enum(QUEUE_BACKENDS),
    status: z.enum(QUEUE_STATUSES),
    cores: z.number().int(),
    memoryMb: window,
    walltimeMs: window,
    maxPilots: z.number().int(),
    slotsPerPilot: z.number().int(),
    pilotIdleMs: z.number().int(),
    queued: z.number().int(),
    running: z.number().int(),
    /** Registered pilots serving the queue now, whether the server started them or they were started by hand. */
    pilots: z.number().int(),
    /** Pilots the server started that have not registered yet (pending in the batch system, or starting). */
    startingPilots: z.number().int(),
    /** Of those, the ones the batch system holds pending. */
    pendingPilots: z.number().int(),
    /** Why the batch system holds them: its reasons, explained; null when none is pending. */
    pendingReason: z.string().nullable(),
    /** The site whose agent serves the queue (its name is `<site>/<queue>`); null: the server's own. */
    site: z.string().nullable(),
    /** A site's state: "silent" when neither its agent nor its pilots were heard from lately (brokerage passes it by). */
    siteState: z.enum(["online", "silent"]).nullable(),
    /** The site agent's last heartbeat. */
    siteHeartbeatAt: time.nullable(),
    /** Workers (pilots started by the server or the site's agent) not ended. */
    workers: z.number().int(),
  }),
);
export type QueueView = z.output<typeof queueView>;

export const queueStatusBody = z.object({ status: z.enum(QUEUE_STATUSES) });
export type QueueStatusRequest = z.input<typeof queueStatusBody>;
export type QueueStatusChange = z.output<typeof queueStatusBody>;

/** A pilot the provisioner started. */
export const workerView = named(
  "Worker",
  z.object({
    id,
    queue: z.string(),
    backend: z.string(),
    batchId: z.string().nullable(),
    status: z.enum(WORKER_STATUSES),
    /** Why it ended. */
    reason: z.string().nullable(),
    /** While alive, what its backend last said of its job: waiting in the batch queue, or started; null before the server asked. */
    batchState: z.enum(["pending", "running"]).nullable(),
    /** While its job is pending, the batch system's reason, explained ("Resources: the nodes it fits are busy; …"). */
    pendingReason: z.string().nullable(),
    pilotId: id.nullable(),
    createdAt: time,
    endedAt: time.nullable(),
    /** The site whose agent started it; null: the server did. */
    site: z.string().nullable(),
  }),
);
export type WorkerView = z.output<typeof workerView>;

export const queueEndpoints = {
  listQueues: { summary: "Queues with their status and load", response: z.array(queueView) },
  setQueueStatus: {
    summary: "Set a queue's status (administrators)",
    params: z.object({ name: label(200) }),
    body: queueStatusBody,
    response: queueView,
  },
  listWorkers: { summary: "Pilots the provisioner started", response: z.array(workerView) },
} satisfies Record<string, Contract>;

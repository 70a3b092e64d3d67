import type { QueueView } from "../api/queues.js";
import { QUEUE_STATUSES, type QueueStatus } from "../core/brokerage.js";
import type { ClientFlags } from "./client-options.js";
import { formatTime, table } from "./format.js";
import { withServer } from "./server-call.js";

const limit = (w: { min: number; max: number }, unit: (n: number) => string) =>
  w.min === 0 && w.max === 0 ? "any" : `${w.min ? unit(w.min) : "0"}–${w.max ? unit(w.max) : "∞"}`;

/** The server's limit on the queue's pilots; "by hand" when it starts none (maxPilots 0). */
const maxPilots = (q: QueueView) => (q.maxPilots === 0 ? "by hand" : String(q.maxPilots));

/** Pilots the server started that have not registered yet, with how many of them the batch system holds pending. */
const starting = (q: QueueView) =>
  q.startingPilots === 0 ? "-" : q.pendingPilots === 0 ? String(q.startingPilots) : `${q.startingPilots} (${q.pendingPilots} pending)`;

/** A site's queue: its site and whether it is online or silent; "-" for the server's own. */
const site = (q: QueueView) => (q.site === null ? "-" : `${q.site} (${q.siteState ?? "unknown"})`);

/**
 * The queues, one a row: PILOTS are the registered pilots serving the queue, whoever started them (hand-started
 * ones count too); STARTING the pilots the server submitted that have not registered yet; MAX the most the
 * server keeps, or "by hand"; WORKERS the pilots started (by the server or the site's agent) not ended; SITE the
 * site whose agent serves the queue and its state. Under the table, why the batch system holds pending
 * pilots, and when each site's agent was last heard from.
 */
export function queuesText(queues: readonly QueueView[]): string {
  const rows = table(
    ["QUEUE", "BACKEND", "STATUS", "CORES", "MEMORY", "WALLTIME", "PILOTS", "STARTING", "MAX", "QUEUED", "RUNNING", "WORKERS", "SITE"],
    queues.map((q) => [
      q.name,
      q.backend,
      q.status,
      String(q.cores),
      limit(q.memoryMb, (n) => `${n}MiB`),
      limit(q.walltimeMs, (n) => `${Math.round(n / 1000)}s`),
      String(q.pilots),
      starting(q),
      maxPilots(q),
      String(q.queued),
      String(q.running),
      String(q.workers),
      site(q),
    ]),
  );
  const waits = queues
    .filter((q) => q.pendingPilots > 0)
    .map((q) => `${q.name}: ${q.pendingPilots} pilot${q.pendingPilots === 1 ? "" : "s"} pending in ${q.backend} — ${q.pendingReason ?? "no reason given"}`);
  const sites = new Map(queues.filter((q) => q.site !== null).map((q) => [q.site!, q]));
  const heard = [...sites.values()].map((q) => `site ${q.site}: ${q.siteState ?? "unknown"}, agent last heard ${formatTime(q.siteHeartbeatAt)}`);
  const notes = [...waits, ...heard];
  return notes.length === 0 ? rows : `${rows}\n\n${notes.join("\n")}`;
}

/** `pando queues`: the queues with their status and load. */
export async function listQueuesCommand(flags: ClientFlags): Promise<void> {
  const queues = await withServer(flags, (api) => api.listQueues());
  process.stdout.write(flags.json ? `${JSON.stringify(queues)}\n` : `${queuesText(queues)}\n`);
}

/** `pando queues set <name> <status>`: takes a queue online or offline (administrators). */
export async function setQueueCommand(name: string, status: string, flags: ClientFlags): Promise<void> {
  if (!(QUEUE_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`'${status}' is not a queue status; use one of ${QUEUE_STATUSES.join(", ")}`);
  }
  const queue = await withServer(flags, (api) => api.setQueueStatus({ params: { name }, body: { status: status as QueueStatus } }));
  process.stdout.write(flags.json ? `${JSON.stringify(queue)}\n` : `queue ${queue.name} is ${queue.status}\n`);
}

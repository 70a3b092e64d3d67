import type { QueueView } from "../core/protocol.js";
import { QUEUE_STATUSES, type QueueStatus } from "../core/brokerage.js";
import { transportFor, type ClientFlags } from "./client-options.js";
import { table } from "./format.js";

const limit = (w: { min: number; max: number }, unit: (n: number) => string) =>
  w.min === 0 && w.max === 0 ? "any" : `${w.min ? unit(w.min) : "0"}–${w.max ? unit(w.max) : "∞"}`;

function queuesTable(queues: readonly QueueView[]): string {
  return table(
    ["QUEUE", "BACKEND", "STATUS", "CORES", "MEMORY", "WALLTIME", "PILOTS", "QUEUED", "RUNNING"],
    queues.map((q) => [
      q.name,
      q.backend,
      q.status,
      String(q.cores),
      limit(q.memoryMb, (n) => `${n}MiB`),
      limit(q.walltimeMs, (n) => `${Math.round(n / 1000)}s`),
      `${q.pilots}/${q.maxPilots}`,
      String(q.queued),
      String(q.running),
    ]),
  );
}

/** `pando queues`: the queues with their status and load. */
export async function listQueuesCommand(flags: ClientFlags): Promise<void> {
  const http = transportFor(flags);
  try {
    const queues = await http.json<QueueView[]>("GET", "/api/v1/queues");
    process.stdout.write(flags.json ? `${JSON.stringify(queues)}\n` : `${queuesTable(queues)}\n`);
  } finally {
    await http.close();
  }
}

/** `pando queues set <name> <status>`: takes a queue online or offline (administrators). */
export async function setQueueCommand(name: string, status: string, flags: ClientFlags): Promise<void> {
  if (!(QUEUE_STATUSES as readonly string[]).includes(status)) {
    throw new Error(`'${status}' is not a queue status; use one of ${QUEUE_STATUSES.join(", ")}`);
  }
  const http = transportFor(flags);
  try {
    const queue = await http.json<QueueView>("PUT", `/api/v1/queues/${encodeURIComponent(name)}`, { status: status as QueueStatus });
    process.stdout.write(flags.json ? `${JSON.stringify(queue)}\n` : `queue ${queue.name} is ${queue.status}\n`);
  } finally {
    await http.close();
  }
}

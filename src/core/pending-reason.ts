// Why a task's jobs are not running: the one reason a task shows (`pendingReason`), whether brokerage found
// no queue for it, or its queue has no pilot that could take its jobs (all held pending by the batch
// system, none submittable, none started). A task some of whose jobs run, or whose queue has a pilot up or
// coming up, shows none: it is only waiting its turn.
import type { TaskStatus } from "./states.js";

/** The pilots of a queue right now, as the server knows them. */
export interface QueuePilots {
  queue: string;
  backend: string;
  maxPilots: number;
  /** Registered pilots serving the queue, started by the server or by hand. */
  running: number;
  /** Pilots the server started, not registered yet, that the batch system is not holding pending. */
  starting: number;
  /** Pilots the server started that the batch system holds pending, counted by its reason. */
  pending: ReadonlyArray<{ reason: string | null; count: number }>;
  /** Why the server could not submit the queue's last pilot, when it has no pilot since. */
  submitError: string | null;
  /** The queue's site has gone silent: why its jobs wait ("site cern: no agent or pilot heard from for …"). */
  silentSite?: string;
  /** The site whose agent starts the queue's pilots, for a site's queue. */
  site?: string;
}

/** A task as far as its waiting goes. */
export interface TaskWait {
  status: TaskStatus;
  /** Brokerage's reason, kept while the task is pending. */
  brokerageReason: string | null;
  /** Jobs waiting for a pilot: not ended and not held by one. */
  queuedJobs: number;
  /** Jobs pilots hold now. */
  heldJobs: number;
}

const systemName = (backend: string) => (backend === "slurm" ? "Slurm" : backend);

/** How many pilots are pending and why: "BeginTime: …", or "2 Resources: …; 1 Priority: …" when reasons differ. */
export function pendingSummary(pending: QueuePilots["pending"]): string {
  if (pending.length === 1) return pending[0]!.reason ?? "no reason given";
  return [...pending]
    .sort((a, b) => b.count - a.count)
    .map((p) => `${p.count} ${p.reason ?? "no reason given"}`)
    .join("; ");
}

/** The reason a task shows, or null when nothing keeps its jobs from running but their turn. */
export function taskPendingReason(task: TaskWait, pilots: QueuePilots | undefined): string | null {
  if (task.status === "pending") return task.brokerageReason;
  if (task.status !== "running" || task.queuedJobs === 0 || task.heldJobs > 0 || !pilots) return null;
  if (pilots.running > 0 || pilots.starting > 0) return null;
  if (pilots.silentSite !== undefined) return pilots.silentSite;
  const pendingPilots = pilots.pending.reduce((n, p) => n + p.count, 0);
  const q = `queue '${pilots.queue}'`;
  if (pendingPilots > 0) {
    const which = pendingPilots === 1 ? `the 1 pilot of ${q} is` : `the ${pendingPilots} pilots of ${q} are`;
    return `${which} pending in ${systemName(pilots.backend)} — ${pendingSummary(pilots.pending)}`;
  }
  if (pilots.submitError !== null) return `${q} cannot start pilots: ${pilots.submitError}`;
  if (pilots.maxPilots === 0 && pilots.site !== undefined) {
    return `no pilot serves ${q}; its site '${pilots.site}' starts none for it (maxPilots 0): raise the queue's maxPilots in the queues file of the site's agent (pando site --queues-file)`;
  }
  if (pilots.maxPilots === 0) {
    return `no pilot serves ${q}; the server starts none for it (maxPilots 0): start one with \`pando pilot --queue ${pilots.queue}\``;
  }
  return null;
}

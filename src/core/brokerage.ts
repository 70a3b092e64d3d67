// Choosing a queue for a task, after PanDA's generic job broker: filter the queues that may and can take
// it, then prefer the one with the most running jobs per queued job (the least backed-up).

import { durationText } from "./duration.js";

export const QUEUE_STATUSES = ["online", "offline", "brokeroff", "test"] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

/** What brokerage needs to know of a queue. Limits of 0 mean "no limit". */
export interface BrokerQueue {
  name: string;
  status: QueueStatus;
  /** Cores a job may use on this queue. */
  cores: number;
  /** Memory per job the queue offers, in MiB: a task needing less than min or more than max goes elsewhere. */
  minMemoryMb: number;
  maxMemoryMb: number;
  /** Walltime window in seconds. */
  minWalltimeS: number;
  maxWalltimeS: number;
  /** Jobs waiting for a pilot, and jobs held by pilots, right now. */
  queued: number;
  running: number;
  /**
   * The queue's site has gone silent (no agent heartbeat and no live pilot for longer than silenceMs): PanDA's
   * "no pilot" filter passes its queues by. Absent for the server's own queues and for sites heard from.
   */
  silentSite?: { site: string; silenceMs: number };
}

/** What a task asks for. */
export interface TaskNeeds {
  /** Queues the task named: one (pinned) or several (allowed); empty: any queue. */
  queues: readonly string[];
  cores: number;
  /** 0: not stated. */
  memoryMb: number;
  walltimeS: number;
}

export type Brokered = { queue: string } | { reason: string };

/** Why a queue cannot take the task, or undefined if it can. */
function unfit(q: BrokerQueue, needs: TaskNeeds): string | undefined {
  const named = needs.queues.includes(q.name);
  if (q.status === "offline") return `'${q.name}' is offline`;
  if (q.silentSite) return `'${q.name}': ${silenceReason(q.silentSite.site, q.silentSite.silenceMs)}`;
  if ((q.status === "brokeroff" || q.status === "test") && !named) {
    return `'${q.name}' is ${q.status} (it takes only tasks that name it)`;
  }
  if (needs.cores > q.cores) return `'${q.name}' has ${q.cores} core(s) per job, the task needs ${needs.cores}`;
  if (needs.memoryMb > 0) {
    if (q.maxMemoryMb > 0 && needs.memoryMb > q.maxMemoryMb) {
      return `'${q.name}' offers at most ${q.maxMemoryMb} MiB per job, the task needs ${needs.memoryMb} MiB`;
    }
    if (needs.memoryMb < q.minMemoryMb) {
      return `'${q.name}' is for jobs of at least ${q.minMemoryMb} MiB, the task needs ${needs.memoryMb} MiB`;
    }
  }
  if (needs.walltimeS > 0) {
    if (q.maxWalltimeS > 0 && needs.walltimeS > q.maxWalltimeS) {
      return `'${q.name}' allows at most ${q.maxWalltimeS} s of walltime, the task needs ${needs.walltimeS} s`;
    }
    if (needs.walltimeS < q.minWalltimeS) {
      return `'${q.name}' is for jobs of at least ${q.minWalltimeS} s, the task needs ${needs.walltimeS} s`;
    }
  }
  return undefined;
}

/** Whether the queue may and can take jobs of the task (the brokerage's filters, without its preference). */
export function mayTake(q: BrokerQueue, needs: TaskNeeds): boolean {
  return (needs.queues.length === 0 || needs.queues.includes(q.name)) && unfit(q, needs) === undefined;
}

/** Why a silent site's queues get no work. */
export function silenceReason(site: string, silenceMs: number): string {
  return `site ${site}: no agent or pilot heard from for more than ${durationText(silenceMs)}`;
}

/** PanDA's weight: running per queued job; the higher, the sooner a new job starts there. */
function weight(q: BrokerQueue): number {
  return (q.running + 1) / (q.queued + 1);
}

/**
 * The queue a task goes to, or the reason no queue can take it (the task then waits, showing the reason,
 * until a queue changes). Ties go to the queue listed first.
 */
export function brokerTask(needs: TaskNeeds, queues: readonly BrokerQueue[]): Brokered {
  const unknown = needs.queues.filter((n) => !queues.some((q) => q.name === n));
  const candidates = needs.queues.length === 0 ? queues : queues.filter((q) => needs.queues.includes(q.name));
  const reasons: string[] = unknown.map((n) => `'${n}' does not exist`);
  let best: BrokerQueue | undefined;
  for (const q of candidates) {
    const why = unfit(q, needs);
    if (why) {
      reasons.push(why);
      continue;
    }
    if (!best || weight(q) > weight(best)) best = q;
  }
  if (best) return { queue: best.name };
  if (candidates.length === 0 && unknown.length === 0) return { reason: "there are no queues" };
  return { reason: `no queue can take this task: ${reasons.join("; ")}` };
}

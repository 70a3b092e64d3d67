// What Slurm's commands print, read into what the provisioner needs: the state and pending reason of its
// batch jobs (squeue), and the nodes a pilot could run on (sinfo). Pure: the backend runs the commands.
import type { BatchNode } from "../core/pilot-fit.js";
import type { BatchStatus } from "./pilot-backend.js";

/** The squeue format these parsers read: job id, state, reason. */
export const SQUEUE_FORMAT = "%i|%T|%r";
/** The sinfo format (one line per node and partition, with -N): node, partition (`*` marks the default), CPUs, memory in MB, time limit. */
export const SINFO_FORMAT = "%N|%P|%c|%m|%l";

/** Slurm states of a job that has not started: it waits in the batch queue. */
const PENDING_STATES = new Set(["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]);

/**
 * What the common pending reasons of Slurm (squeue's %r) mean for a pilot, and what to do about them.
 * Reasons not listed are shown as Slurm gives them.
 */
const REASONS: Record<string, string> = {
  Resources: "the nodes it fits are busy; it starts when one is free",
  Priority: "jobs of higher priority go first",
  BeginTime: "its start time has not come (--begin)",
  JobHeldUser: "held by its user (scontrol release lets it go)",
  JobHeldAdmin: "held by an administrator",
  Dependency: "it waits for another job",
  DependencyNeverSatisfied: "it depends on a job that failed; it will never start",
  PartitionNodeLimit: "it asks for more nodes than its partition allows",
  PartitionTimeLimit: "its walltime is above its partition's limit (lower walltime.max)",
  PartitionConfig: "it asks for more than its partition's nodes have (cores × slotsPerPilot, memory.max × slotsPerPilot)",
  PartitionDown: "its partition is down",
  PartitionInactive: "its partition is inactive",
  ReqNodeNotAvail: "the nodes it needs are down, drained or reserved",
  NodeDown: "a node it needs is down",
  BadConstraints: "its constraints can never be met",
  Reservation: "it waits for its reservation",
  InvalidAccount: "its account is not valid (slurm.account)",
  InvalidQOS: "its QOS is not valid",
};

/** A Slurm pending reason with what it means: "BeginTime: its start time has not come (--begin)". */
export function explainSlurmReason(code: string): string {
  const meaning =
    REASONS[code] ??
    (/^(QOS|Assoc)/.test(code) ? "a limit of its account or QOS holds it (sacctmgr shows them)" : undefined);
  return meaning ? `${code}: ${meaning}` : code;
}

/**
 * squeue's lines (`squeue -h -o "%i|%T|%r"`) as job id → status. A job squeue no longer lists has ended.
 * Pending jobs carry Slurm's reason, explained; running ones none. Lines that are not of that form (a
 * warning squeue printed) are left out.
 */
export function parseSqueue(text: string): Map<string, BatchStatus> {
  const jobs = new Map<string, BatchStatus>();
  for (const line of text.split("\n")) {
    const [id, state, reason] = line.trim().split("|");
    if (!id || !/^\d+(_\d+)?$/.test(id) || !state) continue;
    const pending = PENDING_STATES.has(state);
    const code = reason?.trim();
    jobs.set(id, {
      state: pending ? "pending" : "running",
      reason: pending && code && code !== "None" ? explainSlurmReason(code) : null,
    });
  }
  return jobs;
}

/** A Slurm time limit ("infinite", "UNLIMITED", "30", "1:00:00", "2-12:00:00") in milliseconds; null: no limit. */
export function slurmTimeLimitMs(text: string): number | null {
  const t = text.trim();
  if (/^(infinite|unlimited|n\/a)$/i.test(t) || t === "") return null;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) return null;
  const days = Number(m[1] ?? 0);
  const parts = [m[2], m[3], m[4]].filter((p) => p !== undefined).map(Number);
  // minutes; minutes:seconds; hours:minutes:seconds — and with days, hours[:minutes[:seconds]].
  let seconds: number;
  if (m[1] !== undefined) seconds = (parts[0] ?? 0) * 3600 + (parts[1] ?? 0) * 60 + (parts[2] ?? 0);
  else if (parts.length === 1) seconds = parts[0]! * 60;
  else if (parts.length === 2) seconds = parts[0]! * 60 + parts[1]!;
  else seconds = parts[0]! * 3600 + parts[1]! * 60 + parts[2]!;
  return (days * 86_400 + seconds) * 1000;
}

/** sinfo's node lines (`sinfo -h -N -o "%N|%P|%c|%m|%l"`): one per node and partition. */
export function parseSinfo(text: string): BatchNode[] {
  const nodes: BatchNode[] = [];
  for (const line of text.split("\n")) {
    const [name, partition, cpus, memory, limit] = line.trim().split("|");
    if (!name || !partition || cpus === undefined || memory === undefined || limit === undefined) continue;
    const nCpus = Number.parseInt(cpus, 10);
    const memoryMb = Number.parseInt(memory, 10);
    if (!Number.isFinite(nCpus)) continue;
    nodes.push({
      name,
      partition: partition.replace(/\*$/, ""),
      isDefault: partition.endsWith("*"),
      cpus: nCpus,
      memoryMb: Number.isFinite(memoryMb) ? memoryMb : 0,
      timeLimitMs: slurmTimeLimitMs(limit),
    });
  }
  return nodes;
}

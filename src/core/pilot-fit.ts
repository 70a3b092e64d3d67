// Whether a queue's pilots can ever start on a batch system's nodes: a pilot asks for cores × slotsPerPilot
// CPUs, memory.max × slotsPerPilot of memory and walltime.max on one node of its partition. A queue no node
// can hold would submit pilots that wait in the batch queue forever, so the server refuses it at start-up.
import { durationText } from "./duration.js";
import type { QueueDefinition } from "./queue-config.js";

/** One node of a partition, as the batch system describes it. */
export interface BatchNode {
  name: string;
  partition: string;
  /** The partition jobs go to when they name none. */
  isDefault: boolean;
  cpus: number;
  memoryMb: number;
  /** The partition's walltime limit; null: none. */
  timeLimitMs: number | null;
}

/** What one pilot of the queue asks of a node. */
export function pilotRequest(q: QueueDefinition): { cpus: number; memoryMb: number; walltimeMs: number } {
  return { cpus: q.cores * q.slotsPerPilot, memoryMb: (q.memory.max ?? 0) * q.slotsPerPilot, walltimeMs: q.walltime.max ?? 0 };
}

const mib = (n: number) => `${n} MiB`;
/** "a", "a and b", "a, b and c". */
const andList = (items: readonly string[]) => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

/**
 * Why no node could ever run a pilot of this queue, as one line naming the queue, what a pilot asks, the
 * largest node and what to change; undefined when some node of its partition can.
 */
export function pilotFitProblem(q: QueueDefinition, nodes: readonly BatchNode[], system: string): string | undefined {
  const head = `queue '${q.name}' can never start a pilot`;
  const partitions = [...new Set(nodes.map((n) => n.partition))];
  const named = q.slurm?.partition?.split(",").map((p) => p.trim()).filter(Boolean);
  let candidates: BatchNode[];
  let where: string;
  if (named && named.length > 0) {
    candidates = nodes.filter((n) => named.includes(n.partition));
    where = `partition${named.length > 1 ? "s" : ""} ${named.map((p) => `'${p}'`).join(", ")}`;
    if (!named.some((p) => partitions.includes(p))) {
      return `${head}: it names ${where}, which ${system} does not have (its partitions: ${partitions.join(", ") || "none"}); fix slurm.partition`;
    }
  } else {
    candidates = nodes.filter((n) => n.isDefault);
    const name = candidates[0]?.partition;
    if (name === undefined) {
      return `${head}: it names no partition and ${system} has no default one (its partitions: ${partitions.join(", ") || "none"}); set slurm.partition`;
    }
    where = `the default partition '${name}'`;
  }
  const ask = pilotRequest(q);
  const cpusFit = (n: BatchNode) => n.cpus >= ask.cpus;
  const memoryFits = (n: BatchNode) => ask.memoryMb === 0 || n.memoryMb >= ask.memoryMb;
  const timeFits = (n: BatchNode) => ask.walltimeMs === 0 || n.timeLimitMs === null || n.timeLimitMs >= ask.walltimeMs;
  if (candidates.some((n) => cpusFit(n) && memoryFits(n) && timeFits(n))) return undefined;

  const largest = [...candidates].sort((a, b) => b.cpus - a.cpus || b.memoryMb - a.memoryMb)[0]!;
  const asks = [`${ask.cpus} CPUs (cores ${q.cores} × slotsPerPilot ${q.slotsPerPilot})`];
  if (ask.memoryMb > 0) asks.push(`${mib(ask.memoryMb)} of memory (memory.max ${mib(q.memory.max!)} × slotsPerPilot ${q.slotsPerPilot})`);
  if (ask.walltimeMs > 0) asks.push(`${durationText(ask.walltimeMs)} of walltime (walltime.max)`);
  const longest = Math.max(...candidates.map((n) => n.timeLimitMs ?? Number.POSITIVE_INFINITY));
  const has = [`the largest node of ${where} (${largest.name}) has ${largest.cpus} CPUs and ${mib(largest.memoryMb)}`];
  if (ask.walltimeMs > 0 && Number.isFinite(longest)) has.push(`allows at most ${durationText(longest)} of walltime`);

  const fixes: string[] = [];
  if (!candidates.some(cpusFit)) fixes.push(`cores × slotsPerPilot is at most ${largest.cpus}`);
  if (!candidates.some(memoryFits)) fixes.push(`memory.max × slotsPerPilot is at most ${mib(Math.max(...candidates.map((n) => n.memoryMb)))}`);
  if (!candidates.some(timeFits)) fixes.push(`walltime.max is at most ${durationText(longest)}`);
  // Each need fits some node, but no node has all of them at once.
  if (fixes.length === 0) fixes.push("one node has the CPUs and the memory a pilot asks for together");
  return (
    `${head}: each pilot asks ${system} for ${andList(asks)}, but ${has.join(" and ")}; ` +
    `change the queue so that ${fixes.join(" and ")} (fewer slotsPerPilot, more maxPilots), or name a partition with larger nodes in slurm.partition`
  );
}

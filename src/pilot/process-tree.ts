// A process and everything it started, read from Linux's /proc: what a job's memory limit counts and what
// killing a job kills (an executor, the command it runs, and that command's own children).
import { readdirSync, readFileSync } from "node:fs";

const PAGE_BYTES = 4096;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Parent of every process, from /proc/<pid>/stat (the name in parentheses may hold spaces and parentheses). */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(entry)?.[1]);
    if (!Number.isInteger(ppid)) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/** The children of one process from /proc/<pid>/task/<tid>/children, or undefined where the kernel lacks them. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === undefined) return undefined;
    for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
  }
  return out;
}

/** Whether a process of this pid exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Every process descended from `pid` (not `pid` itself), parents before their children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let table: Map<number, number[]> | undefined;
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    let kids = table ? table.get(p) : childrenOf(p);
    if (kids === undefined) {
      table = parents();
      kids = table.get(p);
    }
    for (const k of kids ?? []) {
      out.push(k);
      queue.push(k);
    }
  }
  return out;
}

/** Resident memory of one process in MiB, or undefined if it cannot be read. */
function residentMb(pid: number): number | undefined {
  const pages = Number(read(`/proc/${pid}/statm`)?.split(" ")[1]);
  return Number.isFinite(pages) ? (pages * PAGE_BYTES) / 2 ** 20 : undefined;
}

/** Resident memory of a process and all its descendants in MiB (Linux /proc), or undefined if the process cannot be read. */
export function treeResidentMb(pid: number): number | undefined {
  const own = residentMb(pid);
  if (own === undefined) return undefined;
  return descendants(pid).reduce((sum, d) => sum + (residentMb(d) ?? 0), own);
}

/** Fields of /proc/<pid>/stat after the name: state, ppid, pgrp… (the name may hold spaces and parentheses). */
function statFields(pid: number | string): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Whether a process leads its own process group (it was started detached, as pilots start executors). */
function leadsGroup(pid: number): boolean {
  return Number(statFields(pid)?.[2]) === pid;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Gone already, or never there.
  }
}

/**
 * Kills a process, every process it started (found before anything is killed, so that children that left
 * its process group are found too), and the process group it leads (which catches those whose parent died first).
 */
export function killTree(pid: number, sig: NodeJS.Signals = "SIGKILL"): void {
  if (pid <= 1) return;
  const tree = descendants(pid);
  const group = leadsGroup(pid);
  signal(pid, sig);
  if (group) signal(-pid, sig);
  for (const p of tree) signal(p, sig);
}

/** Kills what is left of the process group of a group leader that has ended (its orphans). */
export function killGroup(pgid: number, sig: NodeJS.Signals = "SIGKILL"): void {
  if (pgid > 1) signal(-pgid, sig);
}

/** Kills every process descended from `pid`, found before any is killed. */
export function killDescendants(pid: number): void {
  for (const p of descendants(pid)) signal(p, "SIGKILL");
}

/** Kills the process group this process leads, if it leads one: this process with it. */
export function killOwnGroup(): void {
  if (process.pid > 1 && leadsGroup(process.pid)) signal(-process.pid, "SIGKILL");
}

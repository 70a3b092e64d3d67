// The resident memory of a process and everything it started, from /proc (Linux), for the benchmarks that
// measure a run's whole tree (pando run, its pilots and their executors).
import { readdirSync, readFileSync } from "node:fs";

/** /proc's statm counts pages; x86-64 and arm64 Linux use 4 KiB pages. */
const PAGE_KIB = 4;

/** The processes of the tree under `pid`, itself included, as /proc lists their children. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${all[i]}/task`)) {
        const children = readFileSync(`/proc/${all[i]}/task/${task}/children`, "utf8").trim();
        if (children) all.push(...children.split(" ").map(Number));
      }
    } catch {
      // Gone between two reads: it holds no memory any more.
    }
  }
  return all;
}

/** A process's resident memory in KiB; 0 once it is gone. */
export function rssKiB(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_KIB;
  } catch {
    return 0;
  }
}

/** The resident memory of the tree under `pid`, in KiB. */
export function treeRssKiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssKiB(p), 0);
}

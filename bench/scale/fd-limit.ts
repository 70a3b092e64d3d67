// Thousands of simulated pilots need tens of thousands of sockets: the benchmark raises the open-file limit of
// its own process (children inherit it) with util-linux's prlimit, as far as the hard limit allows (root may
// raise that too, up to fs.nr_open).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { openFileLimit } from "../../src/server/fd-limit.js";

/** Raises this process's RLIMIT_NOFILE to `wanted` (soft and hard); returns the soft limit in force after. */
export function raiseOpenFileLimit(wanted: number): number {
  if (openFileLimit() >= wanted) return openFileLimit();
  const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
  const target = Math.min(wanted, nrOpen);
  const r = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${target}:${target}`], { encoding: "utf8" });
  if (r.status !== 0) {
    // Not root: the soft limit may still go up to the hard one.
    spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${target}:`], { encoding: "utf8" });
  }
  const now = openFileLimit();
  if (now < wanted) {
    process.stderr.write(`open-file limit is ${now}, below the ${wanted} wanted: run as root or raise it with ulimit -n ${wanted}\n`);
  }
  return now;
}

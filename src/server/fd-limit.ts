import { readFileSync } from "node:fs";

/** What is assumed where the limit cannot be read (not Linux): the common default soft limit. */
const ASSUMED_FD_LIMIT = 1024;

/**
 * The soft limit of open files of this process (RLIMIT_NOFILE), from /proc/self/limits: every connection
 * takes one, so the server's connection and wait limits are derived from it.
 */
export function openFileLimit(limits = "/proc/self/limits"): number {
  try {
    const line = readFileSync(limits, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    if (soft === "unlimited") return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : ASSUMED_FD_LIMIT;
  } catch {
    return ASSUMED_FD_LIMIT;
  }
}

/** File descriptors kept for the database, the log, the broker and the files the server opens. */
const RESERVED_FDS = 64;

/**
 * The defaults derived from the open-file limit: connections below it (with room for the server's own
 * files), pilots' acquire long-polls a quarter of it, users' waits a half, so that neither starves the
 * other nor the short requests.
 */
export function connectionDefaults(fdLimit: number): { maxConnections: number; maxPilotWaits: number; maxUserWaits: number } {
  const usable = Math.max(64, Math.min(fdLimit, 1_000_000) - RESERVED_FDS);
  return { maxConnections: usable, maxPilotWaits: Math.max(16, Math.floor(usable / 4)), maxUserWaits: Math.max(16, Math.floor(usable / 2)) };
}

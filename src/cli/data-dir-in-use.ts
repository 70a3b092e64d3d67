import { readFileSync } from "node:fs";
import { processAlive } from "../pilot/process-tree.js";
import { serverInfoPath } from "../server/server-info.js";

/** SQLite's refusal when another process holds the database: the embedded store locks its file for itself. */
export function isDatabaseLocked(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "SQLITE_BUSY";
}

/** The server that said it runs on this data directory (its server.json), if that process is still there. */
function runningServer(dataDir: string): { url: string; pid: number } | undefined {
  try {
    const info = JSON.parse(readFileSync(serverInfoPath(dataDir), "utf8")) as { url?: unknown; pid?: unknown };
    if (typeof info.url === "string" && typeof info.pid === "number" && processAlive(info.pid)) return { url: info.url, pid: info.pid };
  } catch {
    // No server.json, or not one a server wrote: the message names no server then.
  }
  return undefined;
}

/** What to tell a `pando run` whose data directory's database another process holds, and what to do instead. */
export function dataDirInUseMessage(dataDir: string): string {
  const server = runningServer(dataDir);
  const who = server ? `a Pando server (${server.url}, pid ${server.pid})` : "another Pando process (its database is locked)";
  const useIt = server ? `run on that server with --server ${server.url}, or ` : "";
  return `the data directory ${dataDir} is in use by ${who}: ${useIt}give this run a data directory of its own with --data-dir <dir>`;
}

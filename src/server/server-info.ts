import { join } from "node:path";

/** Where a running server says it listens, for the CLI on the same machine. */
export function serverInfoPath(dataDir: string): string {
  return join(dataDir, "server.json");
}

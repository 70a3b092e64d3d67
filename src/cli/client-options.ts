import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { HttpTransport } from "../sdk/http.js";
import { readCredentials } from "../server/credentials.js";
import { serverInfoPath } from "../server/server-info.js";

export interface ClientFlags {
  server?: string;
  token?: string;
  dataDir: string;
  json?: boolean;
}

/** The server and token a command talks to: flags, then PANDO_SERVER / PANDO_TOKEN, then the data directory's. */
export function transportFor(flags: ClientFlags): HttpTransport {
  const info = serverInfoPath(flags.dataDir);
  const url =
    flags.server ??
    process.env.PANDO_SERVER ??
    (existsSync(info) ? (JSON.parse(readFileSync(info, "utf8")) as { url: string }).url : undefined);
  if (!url) {
    throw new Error(`no server: pass --server URL, set PANDO_SERVER, or start \`pando server\` with --data-dir ${flags.dataDir}`);
  }
  const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
  if (!token) throw new Error(`no token for ${url}: pass --token or set PANDO_TOKEN`);
  return new HttpTransport(url, token);
}

/** The options of every command that talks to a running server. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option("--server <url>", "the server (default: PANDO_SERVER, or the one running on --data-dir)")
    .option("--token <token>", "token (default: PANDO_TOKEN, or the data directory's credentials)")
    .option("--data-dir <dir>", "data directory of a local server", ".pando")
    .option("--json", "print JSON");
}

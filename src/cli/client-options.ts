import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { clientSecurityFromEnv, type ClientSecurity } from "../core/transport-security.js";
import { HttpTransport } from "../sdk/http.js";
import { readCredentials } from "../server/credentials.js";
import { serverInfoPath } from "../server/server-info.js";

/** How a command trusts the servers it talks to: --ca FILE and --insecure-http. */
export interface ClientSecurityFlags {
  ca?: string;
  insecureHttp?: boolean;
}

export interface ClientFlags extends ClientSecurityFlags {
  server?: string;
  token?: string;
  dataDir: string;
  json?: boolean;
}

/**
 * What any command that talks to a server trusts: --ca, else PANDO_CA; --insecure-http, else PANDO_INSECURE_HTTP.
 * Hand it to HttpTransport / HttpPandoClient, and clientSecurityEnv() of it to the processes the command starts.
 */
export function clientSecurityFrom(flags: ClientSecurityFlags, env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  const fromEnv = clientSecurityFromEnv(env);
  const caFile = flags.ca ?? fromEnv.caFile;
  return { ...(caFile ? { caFile } : {}), insecureHttp: flags.insecureHttp === true || fromEnv.insecureHttp === true };
}

/** The flags of clientSecurityFrom, for every command that talks to a server. */
export function addClientSecurityOptions(cmd: Command, { ca = true }: { ca?: boolean } = {}): Command {
  if (ca) cmd.option("--ca <file>", "PEM certificate authorities to verify the server's certificate with, instead of the system's [PANDO_CA]");
  return cmd.option(
    "--insecure-http",
    "allow sending the token over plain http:// to another machine (only on a network you trust) [PANDO_INSECURE_HTTP=1]",
  );
}

/** The server and token a command talks to: flags, then PANDO_SERVER / PANDO_TOKEN, then the data directory's. */
export function transportFor(flags: ClientFlags): HttpTransport {
  const info = serverInfoPath(flags.dataDir);
  const url =
    flags.server ??
    (process.env.PANDO_SERVER || undefined) ??
    (existsSync(info) ? (JSON.parse(readFileSync(info, "utf8")) as { url: string }).url : undefined);
  if (!url) {
    throw new Error(`no server: pass --server URL, set PANDO_SERVER, or start \`pando server\` with --data-dir ${flags.dataDir}`);
  }
  const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
  if (!token) throw new Error(`no token for ${url}: pass --token or set PANDO_TOKEN`);
  return new HttpTransport(url, token, { security: clientSecurityFrom(flags) });
}

/** The options of every command that talks to a running server. */
export function addClientOptions(cmd: Command): Command {
  return addClientSecurityOptions(
    cmd
      .option("--server <url>", "the server (default: PANDO_SERVER, or the one running on --data-dir)")
      .option("--token <token>", "token (default: PANDO_TOKEN, or the data directory's credentials)")
      .option("--data-dir <dir>", "data directory of a local server", ".pando")
      .option("--json", "print JSON"),
  );
}

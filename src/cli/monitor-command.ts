import { readCredentials } from "../server/credentials.js";
import { transportFor, type ClientFlags } from "./client-options.js";

/** The web monitor's address with a token in the fragment: the page keeps the token and removes it from the address. */
export function monitorUrl(serverUrl: string, token: string): string {
  return `${serverUrl.replace(/\/+$/, "")}/#token=${encodeURIComponent(token)}`;
}

/**
 * `pando monitor`: prints the link that opens the server's web monitor signed in. The server and token are
 * found as for every client command (flags, PANDO_SERVER / PANDO_TOKEN, then the data directory's).
 */
export async function monitorCommand(flags: ClientFlags): Promise<void> {
  const http = transportFor(flags);
  try {
    // transportFor has checked a token exists; it is looked up in the same order to put it in the link.
    const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)!.userToken;
    const url = monitorUrl(http.baseUrl, token);
    process.stdout.write(flags.json ? `${JSON.stringify({ url })}\n` : `${url}\n`);
    if (!flags.json) process.stderr.write("the link carries your token: whoever opens it acts as you\n");
  } finally {
    await http.close();
  }
}

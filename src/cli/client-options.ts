import type { Command } from "commander";

/** The options of every command that talks to a running server. */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .option("--server <url>", "the server (default: PANDO_SERVER, or the one running on --data-dir)")
    .option("--token <token>", "token (default: PANDO_TOKEN, or the data directory's credentials)")
    .option("--data-dir <dir>", "data directory of a local server", ".pando")
    .option("--json", "print JSON");
}

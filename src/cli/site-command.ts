import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { apiCaller } from "../api/caller.js";
import { errorMessage } from "../core/errors.js";
import { parseQueuesFile } from "../core/queue-config.js";
import { LocalBackend } from "../resources/local-backend.js";
import { checkQueuesFit } from "../resources/provisioner.js";
import { SlurmBackend } from "../resources/slurm-backend.js";
import { SiteAgent } from "../site/site-agent.js";
import { clientSecurityEnv } from "../core/transport-security.js";
import { clientSecurityFrom, transportFor, type ClientFlags } from "./client-options.js";

export interface SiteFlags extends ClientFlags {
  name: string;
  queuesFile: string;
  /** Longest wait of one demand poll (ms). */
  poll: number;
  /** Longest pause between two tries while the server is away (ms). */
  maxBackoff: number;
}

/**
 * `pando site`: the site agent. Registers the site's queues with the server (a site token in PANDO_TOKEN or
 * --token), starts their pilots on this host's backends as the server asks, and keeps going through server
 * restarts and network cuts. SIGTERM or SIGINT: cancels the pilots still waiting to start, then exits.
 */
export async function siteCommand(flags: SiteFlags): Promise<void> {
  let text: string;
  try {
    text = readFileSync(flags.queuesFile, "utf8");
  } catch (err) {
    throw new Error(`cannot read the queues file ${flags.queuesFile}: ${errorMessage(err)}`, { cause: err });
  }
  const queues = parseQueuesFile(text, flags.queuesFile);
  // The site's pilots are told the same URL: a site agent never falls back on a local server's.
  const serverUrl = flags.server ?? process.env.PANDO_SERVER;
  if (!serverUrl) throw new Error("no server: pass --server URL (the server's public URL) or set PANDO_SERVER");
  if (!flags.token && !process.env.PANDO_TOKEN) throw new Error("no site token: set PANDO_TOKEN (or --token) to the token of `pando token create --site NAME`");
  const http = transportFor({ ...flags, server: serverUrl });
  const workDir = resolve(flags.dataDir, `site-${flags.name}`);
  // JSON lines on stderr, each naming the site; the ids of what a line is about are its fields.
  const log = pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" }, pino.destination({ dest: 2, sync: true })).child({ site: flags.name });
  const backends = { local: new LocalBackend(), slurm: new SlurmBackend() };
  // A queue whose pilots no node of the site could ever run is refused before anything starts.
  for (const warning of await checkQueuesFit(queues, backends)) log.warn(warning);
  const agent = new SiteAgent({
    site: flags.name,
    serverUrl,
    pilotEnv: clientSecurityEnv(clientSecurityFrom(flags)),
    queues,
    api: apiCaller(http),
    backends,
    cacheDir: join(workDir, "cache"),
    logDir: join(workDir, "logs"),
    pollMs: flags.poll,
    maxBackoffMs: flags.maxBackoff,
    submitBackoffMs: 30_000,
    log,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= agent.stop().then(async () => {
      await http.close();
      log.info("stopped");
      process.exit(0);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    await agent.run();
  } finally {
    if (!stopping) await agent.stop().catch(() => undefined);
  }
}

// The server a `pando run` uses: the one --server (or PANDO_SERVER) names, or one embedded in this process
// with its local pilots.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { readCredentials } from "../server/credentials.js";
import { startLocalPilots, type LocalPilotsOptions } from "../resources/local-pilots.js";
import type { ServerConfig } from "../server/config.js";
import { clientSecurityEnv } from "../core/transport-security.js";
import { HttpPandoClient, type PandoClient } from "../sdk/client.js";
import { clientSecurityFrom } from "./client-options.js";
import { dataDirInUseMessage, isDatabaseLocked } from "./data-dir-in-use.js";
import type { PrewarmCode } from "../core/local-pilot-start.js";
import type { Embedded } from "./embedded.js";
import type { EmbeddedPilots } from "./in-process-pilots.js";
import type { Progress } from "./progress.js";
import { UsageError } from "./run-errors.js";
import type { RunFlags, RunTracker } from "./run-session.js";
import type { RunTimings } from "./run-timings.js";

export interface RunServer {
  client: PandoClient;
  /** The server started for this run; undefined with a server of its own. */
  embedded: Embedded | undefined;
}

/**
 * Connects to `serverUrl` with the token of --token, PANDO_TOKEN or the data directory's credentials; without
 * one, starts the embedded server and its pilots. When those pilots are all gone, the run's workflows, those
 * running and those it starts later, are killed, rather than wait forever for jobs nobody can run.
 */
export async function connectServer(
  serverUrl: string | undefined,
  flags: RunFlags,
  config: ServerConfig,
  progress: Progress,
  runs: Pick<RunTracker, "active" | "onStart">,
  timings: RunTimings,
  /** The code the embedded server's local pilots may start executors for while the server starts. */
  prewarm: Promise<PrewarmCode | undefined>,
): Promise<RunServer> {
  if (serverUrl) {
    const token = flags.token ?? process.env.PANDO_TOKEN ?? readCredentials(flags.dataDir)?.userToken;
    if (!token) {
      throw new Error(`no token for ${serverUrl}: pass --token, set PANDO_TOKEN, or run on the machine of its data directory`);
    }
    const security = clientSecurityFrom(flags);
    // The driver's broker link (a stomp+ssl broker the server names) and the programs it starts trust the same.
    Object.assign(process.env, clientSecurityEnv(security));
    return { client: new HttpPandoClient(serverUrl, token, security), embedded: undefined };
  }
  // Set once started; the pilots may be gone before, when there is no workflow of this run to kill yet.
  let embedded: Embedded | undefined = undefined;
  const kill = (id: number) => void embedded?.server.services.workflows.killWorkflow(embedded.principal, id).catch(() => undefined);
  // Pilots that died while starting (before any workflow of the run) leave its first workflow nobody to run it.
  let pilotsGone = false;
  runs.onStart((id) => {
    if (pilotsGone) kill(id);
  });
  // The pilots start first: they load their code while this process loads and starts the server.
  // Pilots in process load with the server's code, below; pilot processes load theirs meanwhile.
  const startPilots: (options: LocalPilotsOptions) => EmbeddedPilots = flags.pilotProcesses
    ? startLocalPilots
    : (await import("./in-process-pilots.js")).inProcessPilots;
  const pilots = startPilots({
    count: flags.pilots ?? availableParallelism(),
    slots: flags.slots ?? 1,
    cacheDir: join(config.dataDir, "cache"),
    dataDir: config.dataDir,
    logDir: join(config.dataDir, "logs"),
    // Rather than wait forever for jobs nobody can run, end the run with the reason.
    onAllExited: (reason) => {
      pilotsGone = true;
      progress.line(reason);
      for (const id of runs.active()) kill(id);
    },
    onTiming: timings.enabled ? (pilot, timing) => timings.fromPilot(pilot, timing) : undefined,
  });
  timings.mark(flags.pilotProcesses ? "local pilots spawned" : "local pilots set up");
  // Executors that do not start early start when the server tells the pilots to warm: nothing is lost.
  prewarm
    .then(async (code) => {
      const limits = { maxPayloadBytes: config.maxPayloadBytes, maxLogChars: config.maxLogChars };
      if (code && (await pilots.prewarm(code, limits))) timings.mark("local executors starting");
    })
    .catch(() => undefined);
  // The server's code (fastify, the store, the API's schemas) loads only for an embedded run.
  const { startEmbedded } = await import("./embedded.js");
  timings.mark("server code loaded");
  embedded = await startEmbedded({ config, pilots, timings }).catch((err: unknown) => {
    throw isDatabaseLocked(err) && !config.databaseUrl ? new UsageError(dataDirInUseMessage(config.dataDir)) : err;
  });
  return { client: embedded.client, embedded };
}

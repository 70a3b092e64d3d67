import { join } from "node:path";
import { pino } from "pino";
import { ApiPandoClient } from "../sdk/client.js";
import type { ServerConfig } from "../server/config.js";
import { localTransport } from "../server/local-transport.js";
import { startServer, type RunningServer } from "../server/server.js";
import { pilotSecurityEnv } from "../server/server-tls.js";
import type { Principal } from "../store/auth-store.js";
import type { EmbeddedPilots } from "./in-process-pilots.js";
import type { RunTimings } from "./run-timings.js";

export interface Embedded {
  server: RunningServer;
  /** The local administrator the embedded driver acts as. */
  principal: Principal;
  pilots: EmbeddedPilots;
  /** The driver's client, served in process by the server's handlers. */
  client: ApiPandoClient;
  /**
   * Has the local pilots start executors for the bundle (up to their warm count) and waits until they are
   * ready (at most `timeoutMs`), so that the driver's first work call finds them warm.
   */
  warm(bundleHash: string, timeoutMs: number, projectHash?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  config: ServerConfig;
  /**
   * The local pilots, started before the server (startLocalPilots, or inProcessPilots): they are told where it
   * is once it listens.
   */
  pilots: EmbeddedPilots;
  /** Where the steps of the server's start-up are noted (`pando run --timings`). */
  timings?: RunTimings;
}

/**
 * The embedded default: a server in this process on SQLite under the data directory, and local pilots in this
 * process too (or as child processes, with --pilot-processes); their jobs run in executor processes. The driver in this process talks to the server directly. If the server cannot start,
 * the pilots are stopped.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const { config } = options;
  const logDir = join(config.dataDir, "logs");
  const logger = pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" }, pino.destination({ dest: join(logDir, "server.log"), mkdir: true, sync: true }));
  const { timings } = options;
  const { pilots } = options;
  let server: RunningServer;
  try {
    server = await startServer(config, logger, timings && ((step) => timings.mark(`server: ${step}`)));
  } catch (err) {
    await pilots.stop();
    throw err;
  }
  const principal = await server.services.guard.authenticate(server.credentials.userToken);
  if (!principal) throw new Error("the embedded server did not accept its own credentials");
  const { metrics } = server.services.context;
  pilots.connect(
    {
      url: server.url,
      token: server.credentials.pilotToken,
      queue: config.defaultQueue,
      env: pilotSecurityEnv(config.caFile, server.url),
      owner: principal.userId,
    },
    { handlers: server.handlers, guard: server.services.guard, metrics, url: server.url },
  );
  const client = new ApiPandoClient(localTransport(server.handlers, principal, metrics), () => server.url);
  return {
    server,
    principal,
    pilots,
    client,
    warm: (bundleHash, timeoutMs, projectHash) => {
      server.services.handoff.warm(config.defaultQueue, { kind: "warm", owner: principal.userId, bundleHash, projectHash });
      return pilots.warm(bundleHash, timeoutMs);
    },
    stop: async () => {
      await pilots.stop();
      await server.close();
      logger.flush();
    },
  };
}

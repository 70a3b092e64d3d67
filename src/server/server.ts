import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { describeBroker } from "../bus/broker-config.js";
import { defaultQueue, parseQueuesFile } from "../core/queue-config.js";
import { Provisioner } from "../resources/provisioner.js";
import { describePostgres } from "../store/postgres.js";
import { Store } from "../store/store.js";
import { buildApp } from "./app.js";
import type { ServerConfig } from "./config.js";
import { ensureLocalCredentials, type Credentials } from "./credentials.js";
import { Notifier } from "./notifier.js";
import { Service } from "./service.js";

export interface RunningServer {
  url: string;
  service: Service;
  credentials: Credentials;
  close(): Promise<void>;
}

/** Where a running server says it listens, for the CLI on the same machine. */
export function serverInfoPath(dataDir: string): string {
  return join(dataDir, "server.json");
}

const PLACE_PENDING_MS = 1000;
const PROVISION_MS = 1000;

function readQueuesFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the queues file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Declares the queues of the queues file; without a file, the default queue is a plain local queue. A file
 * without the default queue makes its first queue the default.
 */
async function declareQueues(store: Store, config: ServerConfig): Promise<void> {
  const declared = config.queuesFile
    ? parseQueuesFile(readQueuesFile(config.queuesFile), config.queuesFile)
    : [defaultQueue(config.defaultQueue)];
  if (!declared.some((q) => q.name === config.defaultQueue)) config.defaultQueue = declared[0]!.name;
  await store.queues.declare(declared);
}

/** Opens the store, makes sure the default queue and local credentials exist, listens, starts the timers. */
export async function startServer(config: ServerConfig, logger?: Logger): Promise<RunningServer> {
  const log = logger ?? pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" });
  const limits = { maxSystemRetries: config.maxSystemRetries };
  const store = config.databaseUrl
    ? await Store.openPostgres({ url: config.databaseUrl }, limits)
    : await Store.openSqlite({ path: config.dbPath, synchronous: config.sqliteSync }, limits);
  let app: FastifyInstance | undefined;
  try {
    await declareQueues(store, config);
    const credentials = await ensureLocalCredentials(store, config.dataDir, userInfo().username);
    const service = new Service(store, config, new Notifier(), log);
    if (config.broker) {
      await service.useBroker(config.broker, config.brokerConnectWaitMs);
      const bridge = service.brokerStatus();
      if (!bridge.connected) {
        // Not fatal: results take the REST path until the broker can be reached.
        log.error({ broker: describeBroker(config.broker), reason: bridge.error }, "broker unavailable at start-up");
        process.stderr.write(
          `pando: broker ${describeBroker(config.broker)} unavailable at start-up (${bridge.error ?? "no answer"}); ` +
            "results use the REST path until it can be reached\n",
        );
      }
    }
    app = buildApp(service);
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("the server did not get a TCP address");
    const url = `http://${config.host}:${address.port}`;
    writeFileSync(serverInfoPath(config.dataDir), `${JSON.stringify({ url, pid: process.pid })}\n`);

    const queueTimeouts = (await store.queues.list()).flatMap((q) => q.definition.heartbeatTimeout ?? []);
    const sweepEvery = Math.max(50, Math.floor(Math.min(config.heartbeatTimeoutMs, config.driverHeartbeatTimeoutMs, ...queueTimeouts) / 4));
    let sweeping = false;
    const sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      Promise.all([
        service.sweepLostPilots().catch((err: unknown) => log.error({ err }, "lost-pilot sweep failed")),
        service.sweepLostDrivers().catch((err: unknown) => log.error({ err }, "lost-driver sweep failed")),
      ]).finally(() => (sweeping = false));
    }, sweepEvery);
    sweeper.unref();

    const provisioner = new Provisioner(
      store,
      {
        serverUrl: url,
        pilotToken: credentials.pilotToken,
        dataDir: config.dataDir,
        onPilotGone: (pilotId, reason) => service.pilotGone(pilotId, reason),
      },
      log,
    );
    let provisioning = false;
    const provisionTimer = setInterval(() => {
      if (provisioning) return;
      provisioning = true;
      provisioner
        .tick()
        .catch((err: unknown) => log.error({ err }, "provisioning failed"))
        .finally(() => (provisioning = false));
    }, PROVISION_MS);
    provisionTimer.unref();

    // Pending tasks start as soon as a queue can take them.
    let placing = false;
    const placer = setInterval(() => {
      if (placing) return;
      placing = true;
      service
        .placePendingTasks()
        .catch((err: unknown) => log.error({ err }, "placing pending tasks failed"))
        .finally(() => (placing = false));
    }, PLACE_PENDING_MS);
    placer.unref();

    const running = app;
    log.info({ url, db: config.databaseUrl ? describePostgres(config.databaseUrl) : config.dbPath }, "pando server listening");
    return {
      url,
      service,
      credentials,
      close: async () => {
        clearInterval(sweeper);
        clearInterval(placer);
        clearInterval(provisionTimer);
        await provisioner.close();
        await service.stop();
        await running.close();
        rmSync(serverInfoPath(config.dataDir), { force: true });
        await store.close();
      },
    };
  } catch (err) {
    await app?.close();
    await store.close();
    throw err;
  }
}

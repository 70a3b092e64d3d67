import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { describeBroker } from "../bus/broker-config.js";
import { advertisedUrl, plainHttpWarning } from "../core/advertised-url.js";
import { errorMessage } from "../core/errors.js";
import { defaultQueue, parseQueuesFile, type QueueDefinition } from "../core/queue-config.js";
import { checkQueuesFit, createBackends, Provisioner } from "../resources/provisioner.js";
import { describePostgres } from "../store/postgres.js";
import { Store } from "../store/store.js";
import { buildApp } from "./app.js";
import { WaitLimits } from "./wait-limits.js";
import type { ServerConfig } from "./config.js";
import { ensureLocalCredentials, type Credentials } from "./credentials.js";
import { Leases } from "./leases.js";
import { Notifier } from "./notifier.js";
import { serverInfoPath } from "./server-info.js";
import { loadServerTls, pilotSecurityEnv, type ServerTls } from "./server-tls.js";
import { ReplicaBus } from "./replica-bus.js";
import { handlers, type Handlers } from "./handlers.js";
import { createServices, type Services } from "./services.js";

export interface RunningServer {
  /** The URL clients are told (--public-url, else the listening address with its scheme). */
  url: string;
  /** The address and port it listens on, as host:port. */
  listening: string;
  /** The server's services, for what runs in its process (the embedded driver's principal, warming, kills). */
  services: Services;
  /** What serves each endpoint: the routes call these, and so does the embedded driver, in process. */
  handlers: Handlers;
  credentials: Credentials;
  close(): Promise<void>;
}

const PLACE_PENDING_MS = 1000;
const PROVISION_MS = 1000;

function readQueuesFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read the queues file ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * The queues of the queues file; without a file, the default queue is a plain local queue. A file without
 * the default queue makes its first queue the default.
 */
function queuesOf(config: ServerConfig): QueueDefinition[] {
  const declared = config.queuesFile
    ? parseQueuesFile(readQueuesFile(config.queuesFile), config.queuesFile)
    : [defaultQueue(config.defaultQueue)];
  if (!declared.some((q) => q.name === config.defaultQueue)) config.defaultQueue = declared[0]!.name;
  return declared;
}

/** The certificate and key to serve HTTPS with, or undefined for plain HTTP; one of the two alone is a mistake. */
function serverTlsOf(config: ServerConfig, warn: (message: string) => void): ServerTls | undefined {
  const { tlsCertFile: cert, tlsKeyFile: key } = config;
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new Error(`HTTPS needs both --tls-cert and --tls-key (PANDO_TLS_CERT, PANDO_TLS_KEY); only ${cert ? "the certificate" : "the key"} was given`);
  }
  return loadServerTls(cert, key, warn);
}

/** Opens the store, makes sure the default queue and local credentials exist, listens, starts the timers. */
export async function startServer(config: ServerConfig, logger?: Logger, onStep?: (step: string) => void): Promise<RunningServer> {
  const log = logger ?? pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" });
  const warn = (message: string) => {
    log.warn(message);
    process.stderr.write(`pando: ${message}\n`);
  };
  // Settings that would make a server nobody can reach, or reach safely, stop it before anything starts.
  const tls = serverTlsOf(config, warn);
  advertisedUrl({ host: config.host, port: config.port, tls: tls !== undefined, publicUrl: config.publicUrl });
  const queues = queuesOf(config);
  // A queue whose pilots no node can hold is refused before anything starts; one that cannot be checked is said.
  const backends = createBackends();
  for (const warning of await checkQueuesFit(queues, backends)) warn(warning);
  // Credentials, logs and the bundle cache live in the data directory, whatever the database.
  mkdirSync(config.dataDir, { recursive: true });
  const limits = { maxSystemRetries: config.maxSystemRetries };
  const store = config.databaseUrl
    ? await Store.openPostgres({ url: config.databaseUrl, poolSize: config.dbPoolSize, poolWaitMs: config.dbPoolWaitMs }, limits)
    : await Store.openSqlite({ path: config.dbPath, synchronous: config.sqliteSync }, limits);
  onStep?.("store opened");
  let app: FastifyInstance | undefined;
  let bus: ReplicaBus | undefined;
  const leases = new Leases(config.databaseUrl);
  try {
    await store.queues.declare(queues);
    const credentials = await ensureLocalCredentials(store, config.dataDir, userInfo().username);
    const notifier = new Notifier();
    const services = createServices(store, config, notifier, log);
    // Replicas on one PostgreSQL wake each other's long-polls.
    if (config.databaseUrl) {
      bus = new ReplicaBus(config.databaseUrl, notifier, log);
      await bus.start();
    }
    if (config.broker) {
      await services.useBroker(config.caFile ? { ...config.broker, caFile: config.caFile } : config.broker, config.brokerConnectWaitMs);
      const bridge = services.broker.status();
      if (!bridge.connected) {
        // Not fatal: results take the REST path until the broker can be reached.
        log.error({ broker: describeBroker(config.broker), reason: bridge.error }, "broker unavailable at start-up");
        process.stderr.write(
          `pando: broker ${describeBroker(config.broker)} unavailable at start-up (${bridge.error ?? "no answer"}); ` +
            "results use the REST path until it can be reached\n",
        );
      }
    }
    onStep?.("services created");
    const served = handlers(services);
    app = buildApp(services.context, services.guard, served, new WaitLimits(config), tls);
    // Beyond this, new connections are closed at once: the server keeps descriptors for its own files.
    app.server.maxConnections = config.maxConnections;
    await app.listen({ host: config.host, port: config.port, backlog: config.listenBacklog });
    services.context.heardSince.listening();
    onStep?.("listening");
    const address = app.server.address();
    if (address === null || typeof address === "string") throw new Error("the server did not get a TCP address");
    const url = advertisedUrl({ host: config.host, port: address.port, tls: tls !== undefined, publicUrl: config.publicUrl });
    const plain = plainHttpWarning(url);
    if (plain) warn(plain);
    writeFileSync(serverInfoPath(config.dataDir), `${JSON.stringify({ url, pid: process.pid })}\n`);

    const provisioner = new Provisioner(
      store,
      {
        serverUrl: url,
        pilotEnv: pilotSecurityEnv(config.caFile, url),
        replica: `${hostname()}:${resolve(config.dataDir)}`,
        pilotToken: credentials.pilotToken,
        dataDir: config.dataDir,
        backends,
        onPilotGone: (pilotId, reason) => services.dispatch.pilotGone(pilotId, reason),
        onWorkersChanged: (changed) =>
          void services.queues.workersChanged(changed).catch((err: unknown) => log.error({ err }, "announcing pilot changes failed")),
      },
      log,
    );
    // Each background loop runs one pass at a time, and on one replica at a time.
    const loops: NodeJS.Timeout[] = [];
    const loop = (name: string, everyMs: number, pass: () => Promise<unknown>) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        leases
          .run(name, pass)
          .catch((err: unknown) => log.error({ err, loop: name }, "a background pass failed"))
          .finally(() => (busy = false));
      }, everyMs);
      timer.unref();
      loops.push(timer);
    };
    const queueTimeouts = (await store.queues.list()).flatMap((q) => q.definition.heartbeatTimeout ?? []);
    const sweepEvery = Math.max(50, Math.floor(Math.min(config.heartbeatTimeoutMs, config.driverHeartbeatTimeoutMs, ...queueTimeouts) / 4));
    loop("lost-pilot sweep", sweepEvery, () => services.dispatch.sweepLostPilots());
    loop("lost-driver sweep", sweepEvery, () => services.workflows.sweepLostDrivers());
    loop("provisioning", PROVISION_MS, () => provisioner.tick());
    // Each replica watches the local pilots it started itself, whichever replica provisions.
    const watchLocal = setInterval(() => void provisioner.watchLocal().catch((err: unknown) => log.error({ err }, "watching local pilots failed")), PROVISION_MS);
    watchLocal.unref();
    loops.push(watchLocal);
    // Pending tasks start as soon as a queue can take them.
    loop("placing pending tasks", PLACE_PENDING_MS, () => services.queues.placePendingTasks());
    // Jobs waiting on a silent site's queues go where they can run.
    loop("leaving unavailable queues", PLACE_PENDING_MS, () => services.queues.moveOffUnavailableQueues());
    // Jobs waiting on a busy queue go to idle pilots of another queue their task may run on.
    loop("sharing waiting jobs with idle queues", PLACE_PENDING_MS, () => services.sharing.shareWithIdleQueues());

    const running = app;
    log.info({ url, db: config.databaseUrl ? describePostgres(config.databaseUrl) : config.dbPath }, "pando server listening");
    return {
      url,
      listening: `${config.host.includes(":") ? `[${config.host}]` : config.host}:${address.port}`,
      services,
      handlers: served,
      credentials,
      close: async () => {
        for (const timer of loops) clearInterval(timer);
        await provisioner.close();
        await services.stop();
        await running.close();
        await services.drain();
        await bus?.stop();
        await leases.close();
        rmSync(serverInfoPath(config.dataDir), { force: true });
        await store.close();
      },
    };
  } catch (err) {
    await app?.close();
    await bus?.stop();
    await leases.close();
    await store.close();
    throw err;
  }
}

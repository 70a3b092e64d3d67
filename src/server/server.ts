import { rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import { describeBroker } from "../bus/broker-config.js";
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

/** Opens the store, makes sure the default queue and local credentials exist, listens, starts the timers. */
export async function startServer(config: ServerConfig, logger?: Logger): Promise<RunningServer> {
  const log = logger ?? pino({ level: process.env.PANDO_LOG_LEVEL ?? "info" });
  const store = await Store.openSqlite(
    { path: config.dbPath, synchronous: config.sqliteSync },
    { maxSystemRetries: config.maxSystemRetries },
  );
  let app: FastifyInstance | undefined;
  try {
    for (const name of new Set([config.defaultQueue, ...config.extraQueues])) {
      await store.ctx.db
        .insertInto("queues")
        .values({ name, backend: "local", status: "online", created_at: Date.now() })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
    }
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

    const sweepEvery = Math.max(50, Math.floor(Math.min(config.heartbeatTimeoutMs, config.driverHeartbeatTimeoutMs) / 4));
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

    const running = app;
    log.info({ url, db: config.dbPath }, "pando server listening");
    return {
      url,
      service,
      credentials,
      close: async () => {
        clearInterval(sweeper);
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

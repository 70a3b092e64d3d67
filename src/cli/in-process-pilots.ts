// The embedded server's pilots as objects of the `pando run` process (unless --pilot-processes). Jobs still run
// in executor processes (sandboxed as on any pilot), but the hops between the server and its pilots — an HTTP
// request and answer each way per batch of jobs — become calls, and no Node process starts for a pilot.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { Pilot } from "../pilot/pilot.js";
import { untilWarm, type LocalPilotsOptions, type LocalPilots, type LocalServer } from "../resources/local-pilots.js";
import { inProcessPilotTransport, type InProcessServer } from "../server/in-process-pilot-transport.js";
import { poolFrom } from "./pool-options.js";
import { sandboxFrom } from "./sandbox-options.js";

/** The embedded server's pilots, whichever kind: pilots in process are also given the server itself. */
export interface EmbeddedPilots extends LocalPilots {
  connect(server: LocalServer, inProcess?: InProcessServer): void;
}

/** Pilots in this process; each logs to `<logDir>/pilot-<n>.log`, as a pilot process would. */
export function inProcessPilots(options: LocalPilotsOptions): EmbeddedPilots {
  // Loaded while the server starts; nothing of the pilot loads for a run that does not use it.
  const code = Promise.all([import("../pilot/pilot.js"), import("../pilot/sandbox-probe.js"), import("../bundle/project-unpack.js")]);
  const pilots: Pilot[] = [];
  /** Bundles each running pilot has reported warm; a pilot that stopped is left out. */
  const warm = new Map<number, Set<string>>();
  const onWarm = new Set<() => void>();
  let stopping = false;
  let exited = 0;
  let started: Promise<void> | undefined;
  /** Every pilot was made, or none will be: from then on, the pilots in `warm` are all there are. */
  let startedAll = false;

  const exitedOne = (i: number, how: string) => {
    warm.delete(i);
    for (const check of onWarm) check();
    if (stopping || ++exited < options.count) return;
    const logFile = join(options.logDir, `pilot-${i + 1}.log`);
    const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
    options.onAllExited?.(`every local pilot stopped (the last ${how}); no job can run. ${logFile} ends with:\n${tail}`);
  };

  const start = async (server: LocalServer, inProcess: InProcessServer) => {
    const [{ Pilot: PilotClass }, { pilotSandbox }, { UNPACK_DEFAULTS }] = await code;
    // What a pilot process sets in its own environment: its executors (a remote driver's client) trust the same.
    Object.assign(process.env, server.env);
    for (let i = 0; i < options.count; i++) {
      const name = `local-${i + 1}`;
      // Every line names the pilot's id once it registered (it changes when it registers again).
      let pilot: Pilot | undefined = undefined;
      const log: Logger = pino(
        { level: process.env.PANDO_LOG_LEVEL ?? "info", mixin: () => (pilot?.pilotId ? { pilotId: pilot.pilotId } : {}) },
        pino.destination({ dest: join(options.logDir, `pilot-${i + 1}.log`), mkdir: true, sync: true }),
      ).child({ queue: server.queue });
      warm.set(i, new Set());
      pilot = new PilotClass({
        server: server.url,
        token: server.token,
        queue: server.queue,
        slots: options.slots,
        cacheDir: options.cacheDir,
        name,
        ...poolFrom({}),
        sandbox: pilotSandbox(sandboxFrom({}), log),
        projectLimits: UNPACK_DEFAULTS,
        log,
        transport: inProcessPilotTransport(inProcess, server.token),
        onWarm: (bundleHash) => {
          warm.get(i)!.add(bundleHash);
          for (const check of onWarm) check();
        },
        onTiming: options.onTiming && ((timing) => options.onTiming!(name, timing)),
      });
      pilots.push(pilot);
      pilot.run().then(
        () => exitedOne(i, "left"),
        (err: unknown) => {
          log.error({ err: errorMessage(err) }, "pilot stopped on an error");
          exitedOne(i, `on an error: ${errorMessage(err)}`);
        },
      );
    }
  };

  return {
    connect: (server, inProcess) => {
      if (!inProcess) throw new Error("pilots in process need their server's handlers: connect(server, inProcess)");
      started = start(server, inProcess).then(
        () => {
          startedAll = true;
          for (const check of onWarm) check();
        },
        (err: unknown) => {
          stopping = true;
          startedAll = true;
          warm.clear();
          for (const check of onWarm) check();
          void Promise.all(pilots.map((p) => p.stop(0)));
          options.onAllExited?.(`every local pilot stopped while starting; no job can run: ${errorMessage(err)}`);
        },
      );
    },
    warm: (bundleHash, timeoutMs) => untilWarm(onWarm, () => startedAll && [...warm.values()].every((hashes) => hashes.has(bundleHash)), timeoutMs),
    stop: async (timeoutMs = 15_000) => {
      stopping = true;
      await started;
      await Promise.all(pilots.map((p) => p.stop(timeoutMs)));
    },
  };
}

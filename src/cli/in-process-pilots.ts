// The embedded server's pilots as objects of the `pando run` process (unless --pilot-processes). Jobs still run
// in executor processes (sandboxed as on any pilot), but the hops between the server and its pilots — an HTTP
// request and answer each way per batch of jobs — become calls, and no Node process starts for a pilot.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { errorMessage } from "../core/errors.js";
import type { StartupTiming } from "../core/startup-timing.js";
import type { Pilot } from "../pilot/pilot.js";
import type { ExecutorLimits, PrewarmCode } from "../core/local-pilot-start.js";
import type { PrewarmedExecutor } from "../pilot/prewarmed-executor.js";
import type * as SandboxProbeModule from "../pilot/sandbox-probe.js";
import type { PilotSandbox, SandboxChoice } from "../pilot/sandbox-probe.js";
import { untilWarm, type LocalPilotsOptions, type LocalPilots, type LocalServer } from "../resources/local-pilots.js";
import { inProcessPilotTransport, type InProcessServer } from "../server/in-process-pilot-transport.js";
import { poolFrom } from "./pool-options.js";
import { sandboxFrom } from "./sandbox-options.js";

/** The embedded server's pilots, whichever kind: pilots in process are also given the server itself. */
export interface EmbeddedPilots extends LocalPilots {
  connect(server: LocalServer, inProcess?: InProcessServer): void;
}

/** The sandbox probe's module, loaded with the pilots' code. */
type SandboxProbe = typeof SandboxProbeModule;

/** Pilots in this process; each logs to `<logDir>/pilot-<n>.log`, as a pilot process would. */
export function inProcessPilots(options: LocalPilotsOptions): EmbeddedPilots {
  // Loaded while the server starts; nothing of the pilot loads for a run that does not use it.
  const code = Promise.all([
    import("../pilot/pilot.js"),
    import("../pilot/sandbox-probe.js"),
    import("../bundle/project-unpack.js"),
    import("../pilot/prewarmed-executor.js"),
  ]);
  const pilots: Pilot[] = [];
  /** Executors started for each pilot before it exists, until it takes them (or the run stops). */
  const prewarmed: PrewarmedExecutor[][] = [];
  const logs: Logger[] = [];
  /** Each pilot's log; every line names the pilot's id once it registered (it changes when it registers again). */
  const logOf = (i: number): Logger =>
    (logs[i] ??= pino(
      { level: process.env.PANDO_LOG_LEVEL ?? "info", mixin: () => (pilots[i]?.pilotId ? { pilotId: pilots[i].pilotId } : {}) },
      pino.destination({ dest: join(options.logDir, `pilot-${i + 1}.log`), mkdir: true, sync: true }),
    ));
  const sandboxes: Array<PilotSandbox | undefined> = [];
  let connected = false;
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

  // One probe of bwrap for all the pilots: they share the host and the settings, and a probe holds this
  // process's thread for tens of milliseconds (twenty pilots' probes took 0.8 s of a run's start).
  let chosen: SandboxChoice | undefined;
  const sandboxOf = (i: number, probe: SandboxProbe) =>
    i in sandboxes ? sandboxes[i] : (sandboxes[i] = probe.pilotSandbox(sandboxFrom({}), logOf(i), (settings) => (chosen ??= probe.chooseSandbox(settings))));
  const timingOf = (name: string) => options.onTiming && ((timing: StartupTiming) => options.onTiming!(name, timing));

  const prewarm = async (prewarmCode: PrewarmCode, limits: ExecutorLimits): Promise<boolean> => {
    const [, probe, , { prewarmExecutors }] = await code;
    // Without the data directory to hide, a job could read the credentials the server writes there later.
    if (connected || stopping || !options.dataDir) return false;
    const pool = poolFrom({});
    for (let i = 0; i < options.count; i++) {
      const name = `local-${i + 1}`;
      const pilot = { name, slots: options.slots, ...pool, cacheDir: options.cacheDir, sandbox: sandboxOf(i, probe), onTiming: timingOf(name) };
      prewarmed[i] = prewarmExecutors(pilot, prewarmCode, limits, options.dataDir, logOf(i));
    }
    return prewarmed.some((own) => own.length > 0);
  };

  const start = async (server: LocalServer, inProcess: InProcessServer) => {
    const { owner } = server;
    const [{ Pilot: PilotClass }, probe, { UNPACK_DEFAULTS }] = await code;
    // What a pilot process sets in its own environment: its executors (a remote driver's client) trust the same.
    Object.assign(process.env, server.env);
    for (let i = 0; i < options.count; i++) {
      const name = `local-${i + 1}`;
      const log = logOf(i).child({ queue: server.queue });
      warm.set(i, new Set());
      const own = prewarmed[i] ?? [];
      prewarmed[i] = [];
      if (owner === undefined) for (const p of own) p.executor.kill();
      else if (own.length > 0) log.info({ executors: own.length }, "takes the executors its run prewarmed");
      const pilot = new PilotClass({
        server: server.url,
        token: server.token,
        queue: server.queue,
        slots: options.slots,
        cacheDir: options.cacheDir,
        name,
        ...poolFrom({}),
        sandbox: sandboxOf(i, probe),
        projectLimits: UNPACK_DEFAULTS,
        log,
        transport: inProcessPilotTransport(inProcess, server.token),
        onWarm: (bundleHash) => {
          warm.get(i)!.add(bundleHash);
          for (const check of onWarm) check();
        },
        onTiming: timingOf(name),
        prewarmed: owner === undefined ? undefined : { executors: own, owner },
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
      connected = true;
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
    prewarm,
    stop: async (timeoutMs = 15_000) => {
      stopping = true;
      await started;
      // Those no pilot took (the server did not start, or the pilots did not).
      for (const p of prewarmed.splice(0).flat()) p.executor.kill();
      await Promise.all(pilots.map((p) => p.stop(timeoutMs)));
    },
  };
}

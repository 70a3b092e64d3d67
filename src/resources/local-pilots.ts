import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PANDO_ROOT } from "../bundle/cache.js";
import { AWAIT_SERVER_ENV, type ExecutorLimits, type PrewarmCode, type PrewarmRequest, type ServerHandoff } from "../core/local-pilot-start.js";
import { type StartupTiming } from "../core/startup-timing.js";
import { pilotEnvironment } from "./pilot-backend.js";
import { epochNow } from "../core/epoch-clock.js";

export interface LocalPilotsOptions {
  count: number;
  slots: number;
  cacheDir: string;
  /** The embedded server's data directory: executors started before it holds credentials hide it all the same. */
  dataDir?: string;
  /** Each pilot's output goes to `<logDir>/pilot-<n>.log`. */
  logDir: string;
  /** Called once if every pilot has exited before stop() was asked: no job can run any more. */
  onAllExited?: (reason: string) => void;
  /** Told when steps of each pilot's start-up end, and of its executors' (the pilots tell it with PANDO_TIMINGS set). */
  onTiming?: (pilot: string, timing: StartupTiming) => void;
}

/** Where the local pilots' server is, once it listens. */
export interface LocalServer {
  url: string;
  token: string;
  queue: string;
  /** What the pilots need besides the token to reach the server (PANDO_CA for an HTTPS one). */
  env: Record<string, string>;
  /** The run's user: the executors started by prewarm() run its jobs. */
  owner?: number;
}

export interface LocalPilots {
  /** Tells every pilot where its server is: until then they load their code and wait. */
  connect(server: LocalServer): void;
  /**
   * Starts the pilots' executors for the run's program before the server listens (its bundle and project
   * archive placed in their cache directory), with the limits the server will give them. False when it comes
   * too late (the pilots know their server, whose warm command starts their executors) or cannot be done.
   */
  prewarm(code: PrewarmCode, limits: ExecutorLimits): Promise<boolean>;
  /**
   * Resolves once every running pilot has its executors for the bundle ready (after the server told them to
   * warm it), or after timeoutMs, whichever comes first.
   */
  warm(bundleHash: string, timeoutMs: number): Promise<void>;
  /** Asks every pilot to stop (finishing what runs) and waits for them to exit. */
  stop(timeoutMs?: number): Promise<void>;
}

const CLI = join(PANDO_ROOT, "dist", "cli", "main.js");

/**
 * Resolves once `allWarm()` holds, asked now and at each call of a function put in `onWarm` (the pilots call
 * them as they report warm or leave), or after timeoutMs.
 */
export function untilWarm(onWarm: Set<() => void>, allWarm: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      onWarm.delete(check);
      resolve();
    };
    const check = () => {
      if (allWarm()) done();
    };
    const timer = setTimeout(done, timeoutMs);
    onWarm.add(check);
    check();
  });
}

/**
 * Starts pilots as child processes of this one, connected by an IPC channel: a pilot whose parent dies
 * notices the channel closing and exits, so no pilot outlives the program that started it. They start
 * before the server listens (connect() tells them where it is), so that their start-up overlaps the server's.
 */
export function startLocalPilots(options: LocalPilotsOptions): LocalPilots {
  mkdirSync(options.logDir, { recursive: true });
  const processes: ChildProcess[] = [];
  /** Bundles each pilot has reported warm, and those waiting to hear of it. */
  const warm = new Map<ChildProcess, Set<string>>();
  const onWarm = new Set<() => void>();
  let stopping = false;
  let connected = false;
  let exited = 0;
  for (let i = 0; i < options.count; i++) {
    const name = `local-${i + 1}`;
    const logFile = join(options.logDir, `pilot-${i + 1}.log`);
    const log = openSync(logFile, "a");
    const proc = fork(
        CLI,
        [
          "pilot",
          "--slots",
          String(options.slots),
          "--cache-dir",
          options.cacheDir,
          "--name",
          name,
        ],
        {
          stdio: ["ignore", log, log, "ipc"],
          // The token comes over the IPC channel (connect()), never on a command line other users can read.
          env: { ...pilotEnvironment(process.env, ""), [AWAIT_SERVER_ENV]: "1" },
        },
    );
    options.onTiming?.(name, { kind: "pilot", step: "spawned", at: epochNow() });
    warm.set(proc, new Set());
    proc.on("message", (msg: { t?: unknown; bundleHash?: unknown; timing?: StartupTiming }) => {
      if (msg?.t === "timing" && msg.timing) return options.onTiming?.(name, msg.timing);
      if (msg?.t !== "warm" || typeof msg.bundleHash !== "string") return;
      warm.get(proc)!.add(msg.bundleHash);
      for (const check of onWarm) check();
    });
    proc.once("exit", (code, signal) => {
      for (const check of onWarm) check();
      if (stopping || ++exited < options.count) return;
      const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      options.onAllExited?.(
        `every local pilot exited (the last with ${signal ?? `code ${code}`}); no job can run. ${logFile} ends with:\n${tail}`,
      );
    });
    processes.push(proc);
  }
  return {
    connect: ({ url, token, queue, env, owner }) => {
      connected = true;
      const handoff: ServerHandoff = { t: "server", url, token, queue, env, owner };
      // A pilot that died since (its exit is reported apart) cannot be told: the failed send is not an error here.
      for (const p of processes) if (p.connected) p.send(handoff, () => undefined);
    },
    prewarm: async (code, limits) => {
      // Without the data directory to hide, a job could read the credentials the server writes there later.
      if (connected || stopping || !options.dataDir) return false;
      const request: PrewarmRequest = { t: "prewarm", ...code, ...limits, dataDir: resolve(options.dataDir) };
      for (const p of processes) if (p.connected) p.send(request, () => undefined);
      return true;
    },
    warm: (bundleHash, timeoutMs) => {
      const running = () => processes.filter((p) => p.exitCode === null && p.signalCode === null);
      return untilWarm(onWarm, () => running().every((p) => warm.get(p)!.has(bundleHash)), timeoutMs);
    },
    stop: async (timeoutMs = 15_000) => {
      stopping = true;
      await Promise.all(
        processes.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
              p.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              p.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}

import { join } from "node:path";
import { PANDO_ROOT } from "../bundle/cache.js";
import type { QueueDefinition } from "../core/queue-config.js";

/** Everything a backend needs to start one pilot for a queue. */
export interface PilotLaunch {
  workerId: number;
  queue: QueueDefinition;
  serverUrl: string;
  /** Variables the pilot needs to reach serverUrl (PANDO_CA, PANDO_INSECURE_HTTP). */
  env?: Record<string, string>;
  /** The pilot token: handed over in the environment, never on a command line. */
  token: string;
  cacheDir: string;
  logDir: string;
}

/** A pilot's batch job as its backend sees it. */
export interface BatchStatus {
  /** "pending": waiting in the batch system's queue; "running": started (its pilot may still be registering). */
  state: "pending" | "running";
  /** While pending, the batch system's reason, explained ("BeginTime: its start time has not come (--begin)"). */
  reason: string | null;
}

/** Where a queue's pilots run: local child processes, or jobs of a batch system. */
export interface PilotBackend {
  /** Starts a pilot; returns its batch id (a process id, a Slurm job id). */
  submit(launch: PilotLaunch): Promise<string>;
  /**
   * The status of those of these batch ids still alive (pending or running); an id left out has ended.
   * Throws if the backend cannot tell.
   */
  status(batchIds: readonly string[]): Promise<Map<string, BatchStatus>>;
  cancel(batchId: string): Promise<void>;
  /**
   * Why no node of the backend could ever run a pilot of this queue, or undefined when one can; throws when
   * the backend cannot be asked. Absent where the backend cannot tell (local pilots always start).
   */
  fitProblem?(queue: QueueDefinition): Promise<string | undefined>;
  /** Stops watching (and, for local processes, stops them). */
  close(): Promise<void>;
}

export const PILOT_CLI = join(PANDO_ROOT, "dist", "cli", "main.js");

/**
 * The environment of a pilot this process starts: its own (the sandbox settings, PANDO_WORK_ROOT…) without
 * the server's secrets — its database and broker logins, which a pilot never needs (it learns what it needs
 * when it registers) and which the code it runs must never find — and with the pilot's token and what it needs
 * to reach the server (`own`: PANDO_CA, PANDO_INSECURE_HTTP).
 */
export function pilotEnvironment(env: NodeJS.ProcessEnv, token: string, own: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PANDO_DB: _db, PANDO_BROKER: _broker, PANDO_BROKER_USER: _user, PANDO_BROKER_PASSWORD: _password, ...rest } = env;
  return { ...rest, ...own, PANDO_TOKEN: token };
}

/**
 * The program and first arguments that run `pando` where the launch's pilot runs: the queue's
 * `pilotCommand`, or this process's Node and Pando.
 */
export function pilotCommand(l: PilotLaunch): [string, ...string[]] {
  const [program, ...args] = l.queue.pilotCommand ?? [process.execPath, PILOT_CLI];
  return [program!, ...args];
}

/** A queue's name as a part of a file name: a site's queue (`site/queue`) holds a slash. */
export function fileLabel(queue: string): string {
  return queue.replace(/[^\w.@:-]/g, "_");
}

/** The `pando pilot` arguments of a launch. */
export function pilotArgs(l: PilotLaunch, backend: string): string[] {
  return [
    "pilot",
    "--server",
    l.serverUrl,
    "--queue",
    l.queue.name,
    "--slots",
    String(l.queue.slotsPerPilot),
    "--cache-dir",
    l.cacheDir,
    "--name",
    `${backend}-${l.queue.name}-${l.workerId}`,
    "--idle-exit",
    `${l.queue.pilotIdle}ms`,
    "--worker",
    String(l.workerId),
  ];
}

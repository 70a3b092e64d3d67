import { join } from "node:path";
import { PANDO_ROOT } from "../bundle/cache.js";
import type { QueueDefinition } from "../core/queue-config.js";

/** Everything a backend needs to start one pilot for a queue. */
export interface PilotLaunch {
  workerId: number;
  queue: QueueDefinition;
  serverUrl: string;
  /** The pilot token: handed over in the environment, never on a command line. */
  token: string;
  cacheDir: string;
  logDir: string;
}

/** Where a queue's pilots run: local child processes, or jobs of a batch system. */
export interface PilotBackend {
  /** Starts a pilot; returns its batch id (a process id, a Slurm job id). */
  submit(launch: PilotLaunch): Promise<string>;
  /** Which of these batch ids are still alive (queued or running); throws if the backend cannot tell. */
  alive(batchIds: readonly string[]): Promise<Set<string>>;
  cancel(batchId: string): Promise<void>;
  /** Stops watching (and, for local processes, stops them). */
  close(): Promise<void>;
}

export const PILOT_CLI = join(PANDO_ROOT, "dist", "cli", "main.js");

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
